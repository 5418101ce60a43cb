"""Types every API shares: the base of request bodies (Strict) and the one error shape
(ErrorOut). Neutral: it imports nothing from the feature packages, so any of them may use it."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


def has_nul(value: Any) -> bool:
    """A NUL character anywhere in a value: PostgreSQL cannot store one in text, and no text of
    the draft needs one; refused alike on both engines."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so nobody can set author, revision or status
    through a payload that the operation does not own."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # A dict of content is checked field by field where it is validated (proposals'
        # _normalise), which names the field inside it.
        if not isinstance(value, dict) and has_nul(value):
            raise ValueError("must not contain a NUL character (U+0000)")
        return value


class ErrorOut(BaseModel):
    error: str = Field(description="A short machine-readable code")
    detail: str = Field(description="What is wrong, for a person")
    field: str | None = None
    current_revision: int | None = None
