/* Passkeys (WebAuthn) on the log-in and security pages.

   A form marked data-passkey="register" or "authenticate" is an ordinary form with a hidden
   "credential" field. On submit this script asks the server for the WebAuthn options
   (data-options-url, a POST carrying the form's CSRF token), lets the browser create or use a
   passkey, puts the browser's answer into the hidden field as JSON, and submits the form: the
   server checks the answer and renders the next page as for any other form.

   Without JavaScript, or in a browser without passkeys, the passkey parts stay hidden and
   everything else (codes from an authenticator app, recovery codes) works as it is. */
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var padded = base64 + "===".slice((base64.length + 3) % 4);
    var binary = atob(padded);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(descriptors) {
    return (descriptors || []).map(function (d) {
      return Object.assign({}, d, { id: toBytes(d.id) });
    });
  }

  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      user: Object.assign({}, json.user, { id: toBytes(json.user.id) }),
      excludeCredentials: withIds(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    return Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      allowCredentials: withIds(json.allowCredentials),
    });
  }

  function common(credential) {
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  function registrationJSON(credential) {
    var r = credential.response;
    return Object.assign(common(credential), {
      response: {
        clientDataJSON: toBase64url(r.clientDataJSON),
        attestationObject: toBase64url(r.attestationObject),
        transports: typeof r.getTransports === "function" ? r.getTransports() : [],
      },
    });
  }

  function authenticationJSON(credential) {
    var r = credential.response;
    return Object.assign(common(credential), {
      response: {
        clientDataJSON: toBase64url(r.clientDataJSON),
        authenticatorData: toBase64url(r.authenticatorData),
        signature: toBase64url(r.signature),
        userHandle: r.userHandle ? toBase64url(r.userHandle) : undefined,
      },
    });
  }

  function describe(error) {
    switch (error && error.name) {
      case "NotAllowedError":
        return "The passkey request was cancelled or timed out. Try again.";
      case "InvalidStateError":
        return "This device already holds a passkey for your account.";
      case "SecurityError":
        return "This browser does not allow passkeys at this address (passkeys need https, " +
          "or localhost, at the address zerodraft is configured with).";
      case "NotSupportedError":
        return "This browser or device cannot create a passkey of a kind zerodraft accepts.";
      default:
        return (error && error.message) || "The passkey could not be used.";
    }
  }

  function fetchOptions(url, csrfToken) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken, Accept: "application/json" },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (body.restart) {
          window.location.assign(body.restart);
        }
        if (!response.ok) {
          throw new Error(body.detail || ("The server refused (" + response.status + ")."));
        }
        return body;
      });
    });
  }

  function enhance(form) {
    var mode = form.getAttribute("data-passkey");
    var status = form.querySelector("[data-passkey-status]");
    var button = form.querySelector("button[type=submit]");
    var busy = false;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      button.disabled = true;
      status.classList.remove("error-message");
      status.textContent = mode === "register"
        ? "Follow your browser's instructions to create the passkey."
        : "Follow your browser's instructions to use your passkey.";
      var csrfToken = form.querySelector("input[name=csrf_token]").value;
      fetchOptions(form.getAttribute("data-options-url"), csrfToken)
        .then(function (options) {
          return mode === "register"
            ? navigator.credentials.create({ publicKey: creationOptions(options) })
                .then(registrationJSON)
            : navigator.credentials.get({ publicKey: requestOptions(options) })
                .then(authenticationJSON);
        })
        .then(function (answer) {
          form.querySelector("input[name=credential]").value = JSON.stringify(answer);
          status.textContent = "Checking the passkey…";
          form.submit(); // not a submit event: the server takes it from here
        })
        .catch(function (error) {
          busy = false;
          button.disabled = false;
          status.textContent = describe(error);
          status.classList.add("error-message");
        });
    });
  }

  document.querySelectorAll("[data-passkey-section]").forEach(function (section) {
    section.hidden = false;
  });
  document.querySelectorAll("[data-passkey-fallback]").forEach(function (note) {
    note.hidden = true;
  });
  document.querySelectorAll("form[data-passkey]").forEach(enhance);
})();
