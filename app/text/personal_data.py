"""Personal data in free text, found before the text is saved (issue 21: victim protection).

find_personal_data(text) returns Findings: the kind, the span [start, end) in the text as given,
the words found, a short explanation and a suggested generalisation ("age band 20-29", "a city or
district in Thailand"). It only finds: the service asks the person to remove or generalise what
was found, and a person may dismiss a finding that is not personal data. It errs on the side of
asking: a finding costs a click, a missed passport number can cost a victim.

Kinds (KINDS) and how each is found, after every decimal digit of any script (Thai, Lao, Khmer,
Myanmar...) is read as its value (unicodedata.decimal; one character for one, so spans hold):

- email: an e-mail address.
- handle: a social media account: "@scamboss88" (not an e-mail address), a profile link
  ("facebook.com/maria.santos.99", t.me/..., line.me/..., wa.me/...), an account after a
  platform's name with "ID", "username", "handle", "account" or a colon whose value holds a digit,
  a dot or an underscore ("Line ID: somchai1990", "Telegram: tony_88", "WhatsApp ID sam.k").
- national_id: a Thai 13-digit ID whose check digit is right; a Malaysian MyKad (YYMMDD-PB-####);
  a Singapore NRIC/FIN (S1234567D); a Myanmar NRC (12/MaYaKa(N)123456); any run of 9-16 digits
  near an ID word (ID, NIK, KTP, CMND, CCCD, căn cước, บัตรประชาชน, ...).
- passport: one or two letters and 7-8 digits (the Vietnamese, Thai, Cambodian, Malaysian,
  Philippine... formats), with an optional final letter; with a passport word near it ("passport",
  "หนังสือเดินทาง", "hộ chiếu", "pasport", "paspor", "លិខិតឆ្លងដែន", "ပတ်စ်ပို့", "ໜັງສືຜ່ານແດນ")
  6 digits suffice too.
- phone: a number valid for one of the ASEAN countries by the phonenumbers library (Google's
  libphonenumber metadata, shipped with the package): international (+855, +856, +66, +84, +95,
  +60, +62, +63, +65, +673, or 00...) or national with its leading 0; Singapore's and Brunei's
  national numbers (no leading 0) only near a phone word. Never a number right after a currency
  or "Article", before "%" or a currency, nor part of a code such as FC-DR-01.
- date_of_birth: a date (day, month and year: numeric, ISO, or with the month's name in English,
  Malay, Indonesian, Filipino, Vietnamese "ngày 12 tháng 3 năm 1998", Thai with a Buddhist-era
  year "12 มีนาคม 2541", Lao, Khmer or Myanmar) near a birth word (born, DOB, sinh, เกิด, lahir,
  ipinanganak, ເກີດ, កើត, မွေး); there a two-digit year is enough.
- exact_date: any other full day-month-year date. Case studies keep dates as bands (a month and
  year, or a year); a year alone or a month and year is never a finding.
- exact_age: "23-year-old", "aged 23", "23 tuổi", "อายุ 23 ปี", "umur 23 tahun" (not "under 18",
  "over 60": thresholds, not ages).
- address: a house number with a street word: "No. 12 Street 271", "12 Nguyen Trai Street",
  "số 12 đường Lê Lợi", "123/45 ถนนพหลโยธิน", "Jalan Ampang No. 5", "Jl. Merdeka No. 10",
  "บ้านเลขที่ 9 หมู่ 4".
- name: a capitalised name after an honorific (Mr/Ms/Mrs/Miss/Dr, Anh/Chị/Ông/Bà/Em/Cô,
  Encik/Cik/Puan/Tuan/Bapak/Pak/Ibu, U/Daw/Ko/Ma/Maung/Naw/Saw, Gng./Bb./si) or after "named",
  "called", "name is", "tên là", "bernama"; in Thai, Lao, Khmer and Myanmar script the name after
  นาย/นาง/นางสาว/ด.ช./ด.ญ., ชื่อ, ທ້າວ/ນາງ, ຊື່, លោកស្រី/អ្នកស្រី/ឈ្មោះ, ဦး/ဒေါ်/အမည်. Role words,
  countries, organisations and the register's vocabulary are never names ("Mr. Chair", "นายหน้า"
  the broker, "นายจ้าง" the employer, "Ibu Kota"). Also: a quoted nickname after a role
  ("Agent 'Tony'", "boss “Big Brother”"); a Vietnamese name of three or four parts whose
  first is a common family name (Nguyen/Nguyễn, Tran/Trần, Le/Lê, Pham/Phạm, Hoang/Hoàng, Phan,
  Vu/Vũ/Võ, Dang/Đặng, Bui/Bùi, Do/Đỗ, Ho/Hồ, Ngo/Ngô, Duong/Dương, Ly/Lý; for the short ones
  that are also English words, Le Do Ho Ly Vu Vo, only with a usual middle name such as Van or
  Thi; never Ho Chi Minh); any capitalised name of two to four words followed by an age or a
  sex and an age in apposition ("Maria Santos, 24", "Le Thi Hoa (F, 22)"), a Filipino, Malay
  or Indonesian Given Family being too common in ordinary capitalised text to flag alone.
- exact_age, in apposition: "(F, 22)", "(22, M)", "(female, 22)", and the age after a name
  ("Maria Santos, 24,").

Where two findings overlap, the one of the kind earlier in KINDS is kept.
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import phonenumbers

KINDS: Final = (
    "email",
    "handle",
    "national_id",
    "passport",
    "date_of_birth",
    "exact_date",
    "phone",
    "exact_age",
    "address",
    "name",
)
# What a comment or an imported file is checked for: not exact dates or ages, which there are
# meeting dates and legal thresholds far more often than a person's.
GENERAL_KINDS: Final = tuple(k for k in KINDS if k not in {"exact_date", "exact_age"})
KIND_LABELS: Final = {
    "email": "e-mail address",
    "handle": "social media account",
    "national_id": "national ID number",
    "passport": "passport number",
    "date_of_birth": "date of birth",
    "exact_date": "exact date",
    "phone": "phone number",
    "exact_age": "exact age",
    "address": "street address",
    "name": "personal name",
}
# The countries whose phone numbers are looked for, by phonenumbers' region codes.
PHONE_REGIONS: Final = ("KH", "LA", "TH", "VN", "MM", "MY", "ID", "PH", "SG", "BN")
COUNTRY_NAMES: Final = {
    "KH": "Cambodia",
    "LA": "Lao PDR",
    "TH": "Thailand",
    "VN": "Viet Nam",
    "MM": "Myanmar",
    "MY": "Malaysia",
    "ID": "Indonesia",
    "PH": "the Philippines",
    "SG": "Singapore",
    "BN": "Brunei Darussalam",
    "TL": "Timor-Leste",
}
WINDOW: Final = 40  # characters before (and after) a span in which a context word counts


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    text: str
    explanation: str
    suggestion: str

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def as_json(self) -> dict[str, Any]:
        """The finding as a refusal or a preview carries it: where it is, what it is, why, what
        to write instead."""
        return {
            "kind": self.kind,
            "label": self.label,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "explanation": self.explanation,
            "suggestion": self.suggestion,
        }


def normalise_digits(text: str) -> str:
    """The text with every decimal digit of any script as its ASCII digit, same length."""
    return "".join(
        str(d) if c.isdigit() and (d := unicodedata.decimal(c, -1)) >= 0 else c for c in text
    )


def _split(text: str) -> list[str]:
    return text.split()


def _words(*words: str) -> str:
    """An alternation of words, longest first, escaped."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _near(text: str, start: int, end: int, pattern: re.Pattern[str], after: bool = False) -> bool:
    before = text[max(0, start - WINDOW) : start]
    if pattern.search(before):
        return True
    return after and bool(pattern.search(text[end : end + WINDOW]))


# Upper-case letters of the Latin, Latin Extended and Vietnamese ranges, explicitly: re has no
# \p{Lu}, and [^\W\d_a-z] would take "ấ" for a capital.
UPPER: Final = (
    "["
    + "".join(
        re.escape(c) for c in map(chr, [*range(0x41, 0x250), *range(0x1E00, 0x1F00)]) if c.isupper()
    )
    + "]"
)
SCRIPTS: Final = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"  # Thai, Lao, Myanmar, Khmer

# Latin words must stand alone: not inside a longer word.
L0 = r"(?<![^\W\d_])"
L1 = r"(?![^\W\d_])"

# --- e-mail -------------------------------------------------------------------------------

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")

# --- national IDs ---------------------------------------------------------------------------

ID_WORDS = re.compile(
    L0
    + "(?:"
    + _words("ID", "I.D.", "NIK", "KTP", "NRIC", "FIN", "IC", "NRC", "CMND", "CCCD", "PSN", "SSS")
    + "|(?i:"
    + _words(
        "identity",
        "identification",
        "national ID",
        "MyKad",
        "căn cước",
        "chứng minh",
        "PhilSys",
        "kad pengenalan",
        "kartu tanda penduduk",
        "บัตรประชาชน",
        "บัตรประจำตัวประชาชน",
        "เลขประจำตัว",
        "ບັດປະຈຳຕົວ",
        "អត្តសញ្ញាណប័ណ្ណ",
        "မှတ်ပုံတင်",
    )
    + "))"
    + L1
)
THAI_ID = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12}(?![\d-])")
MYKAD = re.compile(r"(?<!\d)\d{6}-\d{2}-\d{4}(?!\d)")
NRIC = re.compile(r"(?<![\w-])[STFGM]\d{7}[A-Z](?![\w-])")
NRC = re.compile(r"(?<!\d)\d{1,2}/[A-Za-z]{3,12}\s?\((?:N|E|P|T)\)\s?\d{6}(?!\d)")
LONG_DIGITS = re.compile(r"(?<![\w-])\d(?:[ -]?\d){8,15}(?![\w-])")


def thai_id_valid(digits: str) -> bool:
    """A Thai citizen ID's check digit: 13 digits, the last (11 - sum(d_i * (13 - i)) mod 11)
    mod 10 over the first twelve (i from 0)."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    total = sum(int(digits[i]) * (13 - i) for i in range(12))
    return (11 - total % 11) % 10 == int(digits[12])


def _national_ids(norm: str) -> Iterator[tuple[int, int, str]]:
    for m in THAI_ID.finditer(norm):
        digits = re.sub(r"\D", "", m.group())
        if thai_id_valid(digits):
            yield m.start(), m.end(), "A 13-digit Thai ID number with a valid check digit."
    for m in MYKAD.finditer(norm):
        yield m.start(), m.end(), "A Malaysian identity card number (MyKad)."
    for m in NRIC.finditer(norm):
        yield m.start(), m.end(), "A Singapore NRIC or FIN number."
    for m in NRC.finditer(norm):
        yield m.start(), m.end(), "A Myanmar national registration card (NRC) number."
    for m in LONG_DIGITS.finditer(norm):
        if _near(norm, m.start(), m.end(), ID_WORDS):
            yield m.start(), m.end(), "A long number next to the word for an identity document."


# --- passports ------------------------------------------------------------------------------

PASSPORT_WORDS = re.compile(
    "(?:"
    + _words(
        "passport",
        "pass port",
        "pasport",
        "paspor",
        "pasaporte",
        "pasaport",
        "travel document",
        "หนังสือเดินทาง",
        "พาสปอร์ต",
        "hộ chiếu",
        "ho chieu",
        "លិខិតឆ្លងដែន",
        "ပတ်စ်ပို့",
        "ပတ်စပို့",
        "နိုင်ငံကူးလက်မှတ်",
        "ໜັງສືຜ່ານແດນ",
        "ຫນັງສືຜ່ານແດນ",
        "พาสปอร์ท",
    )
    + ")",
    re.IGNORECASE,
)
PASSPORT = re.compile(r"(?<![\w-])[A-Z]{1,2}\s?\d{6,8}[A-Z]?(?![\w-])")


def _passports(norm: str) -> Iterator[tuple[int, int, str]]:
    for m in PASSPORT.finditer(norm):
        digits = sum(c.isdigit() for c in m.group())
        tight = " " not in m.group()
        if _near(norm, m.start(), m.end(), PASSPORT_WORDS, after=True):
            yield m.start(), m.end(), "A document number next to the word passport."
        elif tight and digits >= 7:
            yield m.start(), m.end(), "Looks like a passport number (letters and 7-8 digits)."


# --- phones ---------------------------------------------------------------------------------

PHONE_WORDS = re.compile(
    L0
    + "(?:"
    + _words(
        "phone",
        "telephone",
        "tel",
        "tel.",
        "mobile",
        "cell",
        "call",
        "called",
        "calling",
        "hotline",
        "WhatsApp",
        "Viber",
        "Telegram",
        "LINE",
        "WeChat",
        "Zalo",
        "Signal",
        "number",
        "no.",
        "HP",
        "ponsel",
        "telefon",
        "telepon",
        "nombor",
        "nomor",
        "numero",
        "điện thoại",
        "SĐT",
        "gọi",
        "โทร",
        "เบอร์",
        "ໂທ",
        "ເບີ",
        "ទូរស័ព្ទ",
        "លេខ",
        "ဖုန်း",
    )
    + ")"
    + L1,
    re.IGNORECASE,
)
PHONE = re.compile(r"(?<![\w+/.,(-])\(?(?:\+|00)?\(?\d[\d \-.()]{5,20}\d(?![\w/-]|[.,]\d)")
CURRENCY = _words(
    "USD",
    "US$",
    "$",
    "THB",
    "฿",
    "baht",
    "VND",
    "đ",
    "₫",
    "dong",
    "đồng",
    "KHR",
    "riel",
    "៛",
    "LAK",
    "kip",
    "₭",
    "MMK",
    "kyat",
    "MYR",
    "RM",
    "IDR",
    "Rp",
    "PHP",
    "₱",
    "peso",
    "pesos",
    "SGD",
    "S$",
    "BND",
    "B$",
    "EUR",
    "€",
    "yuan",
    "RMB",
    "CNY",
    "¥",
    "บาท",
)
BEFORE_AMOUNT = re.compile(
    L0 + r"(?:" + CURRENCY + r"|Article|Art\.|Section|para(?:graph)?\.?|§|Rule)\s*$",
    re.IGNORECASE,
)
# A currency after the number stands alone: "500 000 đ", "50₫", but not the "đ" that starts
# "để", "đi", "đây" (a phone number followed by "to find out", "here").
AFTER_AMOUNT = re.compile(r"^\s*(?:%|percent|per cent|" + CURRENCY + ")" + L1, re.IGNORECASE)
# "No." before a number: a reference ("Decision No. 2123456", "Article No. 12") unless the
# number is a phone number on its own (international, or national with its leading 0: "Phone
# No. 0912 345 678", "mobile no. +63 917 555 0142") or a phone word comes before the "No."
# ("Tel. No. 712 3456", Brunei). "No." alone is no phone word.
REFERENCE_NO = re.compile(L0 + r"No\.\s*$", re.IGNORECASE)


def _public(number: phonenumbers.PhoneNumber) -> bool:
    """Toll-free, shared-cost and premium numbers are hotlines and businesses, not a person's."""
    kind = phonenumbers.number_type(number)
    return kind in {
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
    }


def _phone_region(candidate: str, with_context: bool) -> str | None:
    digits = re.sub(r"\D", "", candidate)
    if not 7 <= len(digits) <= 15:
        return None
    international = candidate.startswith(("+", "00"))
    if international:
        number = "+" + digits[2:] if candidate.startswith("00") else "+" + digits
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(parsed) and not _public(parsed):
            return phonenumbers.region_code_for_number(parsed) or "an unknown country"
        return None
    if not digits.startswith("0") and not with_context:
        return None
    for region in PHONE_REGIONS:
        try:
            parsed = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number_for_region(parsed, region):
            return None if _public(parsed) else region
    return None


def _phones(norm: str) -> Iterator[tuple[int, int, str]]:
    for m in PHONE.finditer(norm):
        start, end = m.start(), m.end()
        candidate = m.group()
        if candidate.startswith("(") and ")" not in candidate:
            candidate, start = candidate[1:], start + 1  # (081 234 5678): the bracket is not its
        candidate = candidate.lstrip("(")
        if BEFORE_AMOUNT.search(norm[max(0, start - 12) : start]):
            continue
        if AFTER_AMOUNT.search(norm[end : end + 10]):
            continue
        if re.search(r"[A-Za-z]-$", norm[max(0, start - 2) : start]):
            continue  # part of a code: FC-DR-01
        reference = REFERENCE_NO.search(norm[max(0, start - 6) : start])
        if reference:
            before = norm[max(0, start - 6 - WINDOW) : max(0, start - 6) + reference.start()]
            context = any(w.group().lower() != "no." for w in PHONE_WORDS.finditer(before))
        else:
            context = _near(norm, start, end, PHONE_WORDS)
        region = _phone_region(candidate, context)
        if region:
            where = COUNTRY_NAMES.get(region, region)
            yield start, end, f"A phone number ({where})."


# --- dates ----------------------------------------------------------------------------------

MONTHS: Final[dict[str, int]] = {}
for _number, _month_names in enumerate(
    [
        "january jan januari enero ມັງກອນ មករា ဇန်နဝါရီ มกราคม ม.ค.",
        "february feb februari pebrero febrero ກຸມພາ កុម្ភៈ ဖေဖော်ဝါရီ กุมภาพันธ์ ก.พ.",
        "march mar mac maret marso ມີນາ មីនា မတ် มีนาคม มี.ค.",
        "april apr abril ເມສາ មេសា ဧပြီ เมษายน เม.ย.",
        "may mei mayo ພຶດສະພາ ឧសភា မေ พฤษภาคม พ.ค.",
        "june jun juni hunyo junio ມິຖຸນາ មិថុនា ဇွန် มิถุนายน มิ.ย.",
        "july jul julai juli hulyo julio ກໍລະກົດ កក្កដា ဇူလိုင် กรกฎาคม ก.ค.",
        "august aug ogos agustus agosto ສິງຫາ សីហា ဩဂုတ် ဩဂုတ်လ สิงหาคม ส.ค.",
        "september sep sept setyembre septiyembre ກັນຍາ កញ្ញា စက်တင်ဘာ กันยายน ก.ย.",
        "october oct oktober oktubre ຕຸລາ តុលា အောက်တိုဘာ ตุลาคม ต.ค.",
        "november nov nobyembre ພະຈິກ វិច្ឆិកា နိုဝင်ဘာ พฤศจิกายน พ.ย.",
        "december dec disember desember disyembre ທັນວາ ធ្នូ ဒီဇင်ဘာ ธันวาคม ธ.ค.",
    ],
    start=1,
):
    for _name in _month_names.split():
        MONTHS[_name] = _number
MONTH_NAMES_EN: Final = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

_MONTH = "(?P<mname>" + _words(*MONTHS) + r")\.?"
_YEAR = r"(?P<year>\d{4}|\d{2})"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_ERA = r"(?:\s*(?:พ\.ศ\.|ค\.ศ\.|พ\.ศ|ค\.ศ|B\.E\.|C\.E\.|AD|BE|năm)\s*)?"
DATES = [
    # 12/03/1998, 12-3-98, 12.03.1998 (day first or month first)
    re.compile(r"(?<![\d/.-])(?P<day>\d{1,2})([/.\-])(?P<month>\d{1,2})\2" + _YEAR + r"(?![\d/-])"),
    # 1998-03-12
    re.compile(r"(?<![\d/.-])(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?![\d/-])"),
    # ngày 12 tháng 3 năm 1998, 12 tháng 03, 1998
    re.compile(
        r"(?<!\d)(?P<day>\d{1,2})\s+tháng\s+(?P<month>\d{1,2})(?:\s+năm\s+|,\s*|\s+)(?P<year>\d{4})(?!\d)",
        re.IGNORECASE,
    ),
    # 12 March 1998, 12th of March, 1998, 12 มีนาคม 2541, 12 มี.ค. 41
    re.compile(
        r"(?<![\d-])" + _DAY + r"\s*(?:of\s+)?" + _MONTH + r"\s*,?" + _ERA + _YEAR + r"(?!\d)",
        re.IGNORECASE,
    ),
    # March 12, 1998
    re.compile(L0 + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR + r"(?!\d)", re.IGNORECASE),
]
BIRTH_WORDS = re.compile(
    "(?:"
    + _words(
        "born",
        "birth",
        "birthday",
        "DOB",
        "D.O.B",
        "d.o.b.",
        "sinh",
        "ngày sinh",
        "เกิด",
        "วันเกิด",
        "lahir",
        "kelahiran",
        "ipinanganak",
        "isinilang",
        "kapanganakan",
        "ເກີດ",
        "កើត",
        "កំណើត",
        "မွေး",
    )
    + ")",
    re.IGNORECASE,
)


def _gregorian(year: int) -> int | None:
    if 2400 <= year <= 2700:
        return year - 543  # Thai Buddhist era
    if 1900 <= year <= 2100:
        return year
    return None


def _dates(norm: str, reference_year: int | None) -> Iterator[tuple[int, int, str, str, str]]:
    seen: set[tuple[int, int]] = set()
    for pattern in DATES:
        for m in pattern.finditer(norm):
            if (m.start(), m.end()) in seen:
                continue
            groups = m.groupdict()
            day = int(groups["day"])
            if groups.get("mname"):
                month = MONTHS.get(groups["mname"].lower().rstrip("."), 0)
                if not month:
                    month = MONTHS.get(groups["mname"].lower(), 0)
            else:
                month = int(groups["month"])
                if month > 12 and day <= 12:
                    day, month = month, day  # month first (03/25/1998)
            if not (1 <= day <= 31 and 1 <= month <= 12):
                continue
            raw_year = groups["year"]
            birth = _near(norm, m.start(), m.end(), BIRTH_WORDS)
            if len(raw_year) == 2:
                if not birth:
                    continue
                yy = int(raw_year)
                if re.search("[\u0e00-\u0e7f]", m.group()):
                    year: int | None = 2500 + yy - 543  # Thai: 41 is BE 2541, 1998
                else:
                    year = 1900 + yy if yy > 30 else 2000 + yy
            else:
                year = _gregorian(int(raw_year))
            if year is None:
                continue
            seen.add((m.start(), m.end()))
            month_year = f"{MONTH_NAMES_EN[month - 1]} {year}"
            if birth:
                if reference_year is not None and 0 <= reference_year - year < 130:
                    low = (reference_year - year) // 10 * 10
                    suggestion = f"age band {low}-{low + 9}"
                else:
                    low = year // 5 * 5
                    suggestion = f"born {low}-{low + 4}"
                yield (
                    m.start(),
                    m.end(),
                    "date_of_birth",
                    "An exact date of birth identifies a person.",
                    suggestion,
                )
            else:
                yield (
                    m.start(),
                    m.end(),
                    "exact_date",
                    "An exact date can identify a person with the other facts; case studies "
                    "keep dates as a month and year or a year.",
                    month_year,
                )


# --- ages -----------------------------------------------------------------------------------

AGES = [
    re.compile(r"(?<!\d)(?P<age>\d{1,2})[- ]years?[- ]old" + L1, re.IGNORECASE),
    re.compile(
        L0 + r"(?:aged|age|umur|usia|berusia|edad)\s*:?\s*(?P<age>\d{1,2})"
        r"(?:\s*(?:tahun|years?|tuổi|ปี))?(?!\d)",
        re.I,
    ),
    re.compile(r"(?<!\d)(?P<age>\d{1,2})\s*(?:tuổi|ans)" + L1, re.IGNORECASE),
    re.compile(r"อายุ\s*(?P<age>\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<age>\d{1,2})\s*(?:tahun|taong gulang)" + L1, re.IGNORECASE),
    re.compile(r"ອາຍຸ\s*(?P<age>\d{1,2})(?!\d)"),
    re.compile(r"អាយុ\s*(?P<age>\d{1,2})(?!\d)"),
    re.compile(r"အသက်\s*(?P<age>\d{1,2})(?!\d)"),
]
THRESHOLD_BEFORE = re.compile(
    r"(?:under|over|below|above|least|than|up to|from|between|and|to|dưới|trên|ต่ำกว่า|"
    r"เกิน|bawah|atas|kurang|lebih|≥|≤|<|>|-)\s*$",
    re.IGNORECASE,
)

LEGAL_AGE_BEFORE = re.compile(
    r"(?:minimum|maximum|legal|working|marriageable|retirement|of criminal)\s*$", re.IGNORECASE
)


def _ages(norm: str) -> Iterator[tuple[int, int, str]]:
    for pattern in AGES:
        for m in pattern.finditer(norm):
            if THRESHOLD_BEFORE.search(norm[max(0, m.start() - 12) : m.start("age")]):
                continue
            if LEGAL_AGE_BEFORE.search(norm[max(0, m.start() - 16) : m.start()]):
                continue
            if (
                pattern is AGES[4]
                and not re.search(
                    r"(?:umur|usia|berusia)\s*$", norm[max(0, m.start() - 10) : m.start()], re.I
                )
                and "taong" not in m.group()
            ):
                continue  # "5 tahun" alone is a duration (five years)
            age = int(m.group("age"))
            low = age // 10 * 10
            yield m.start(), m.end(), f"age band {low}-{low + 9}"


# --- addresses ------------------------------------------------------------------------------

HOUSE_PREFIX = _words(
    "No.",
    "No",
    "Number",
    "#",
    "House",
    "House No.",
    "Nhà số",
    "số nhà",
    "số",
    "Lot",
    "Unit",
    "Blk",
    "Block",
    "Nomor",
    "บ้านเลขที่",
    "เลขที่",
    "ផ្ទះលេខ",
    "អាគារលេខ",
    "အမှတ်",
    "ເຮືອນເລກທີ",
    "ເລກທີ",
)
STREET_BEFORE_NAME = _words(
    "Street",
    "St.",
    "Road",
    "Rd.",
    "Jalan",
    "Jln.",
    "Jln",
    "Jl.",
    "Lorong",
    "Lrg.",
    "Gang",
    "Soi",
    "đường",
    "phố",
    "ngõ",
    "ngách",
    "hẻm",
    "kiệt",
    "ถนน",
    "ถ.",
    "ซอย",
    "ซ.",
    "ຖະໜົນ",
    "ຖະຫນົນ",
    "ផ្លូវ",
    "လမ်း",
    "ရပ်ကွက်",
)
STREET_AFTER_NAME = _words(
    "Street",
    "St.",
    "St",
    "Road",
    "Rd.",
    "Rd",
    "Avenue",
    "Ave.",
    "Lane",
    "Boulevard",
    "Blvd",
    "Blvd.",
    "Drive",
    "Highway",
    "Alley",
)
# Words of a place that count only with a number after them: a village number (หมู่ 4, Moo 4),
# a Philippine purok; "หมู่บ้าน" (a village) or "Barangay" alone is a band, not an address.
NUMBERED_PLACE = _words("หมู่ที่", "หมู่", "ม.", "Moo", "Purok", "Brgy.", "Barangay", "ຮ່ອມ")
_NUM = r"\d{1,5}[A-Za-z]?(?:/\d{1,5}[A-Za-z]?)?"
_NAME_OR_NUMBER = (
    r"(?:\d{1,5}[A-Za-z]?|"
    + UPPER
    + r"[^\s,.;:]*(?:\s"
    + UPPER
    + r"[^\s,.;:]*){0,2}|["
    + SCRIPTS
    + r"][^\s,.;:]*)"
)
ADDRESSES = [
    # No. 12 Street 271; #45, St. 63; số 12 đường Lê Lợi; บ้านเลขที่ 9 หมู่ 4
    re.compile(
        L0
        + r"(?i:"
        + HOUSE_PREFIX
        + r")\s*"
        + _NUM
        + r"[,\s]{1,3}(?:[^\s,]+[,\s]{1,3}){0,2}?(?:(?i:"
        + STREET_BEFORE_NAME
        + r")\s*"
        + _NAME_OR_NUMBER
        + r"|(?i:"
        + NUMBERED_PLACE
        + r")\s*\d{1,4}(?!\d))"
    ),
    # 12 đường Lê Lợi; 123/45 ถนนพหลโยธิน; 45 Jalan Ampang; 12 Street 271
    re.compile(
        r"(?<![\w/.-])"
        + _NUM
        + r"[,\s]{0,2}(?:(?i:"
        + STREET_BEFORE_NAME
        + r")\s*"
        + _NAME_OR_NUMBER
        + r"|(?i:"
        + NUMBERED_PLACE
        + r")\s*\d{1,4}(?!\d))"
    ),
    # 12 Nguyen Trai Street; 88 Rizal Ave.
    re.compile(
        r"(?<![\w/.-])"
        + _NUM
        + r",?\s+(?:"
        + UPPER
        + r"[\w'\u2019-]*\s+){1,3}(?:"
        + STREET_AFTER_NAME
        + ")"
        + L1
    ),
    # Jalan Ampang No. 5; Jl. Merdeka No. 10; đường Lê Lợi số 12
    re.compile(
        L0
        + r"(?i:"
        + STREET_BEFORE_NAME
        + r")\s*"
        + _NAME_OR_NUMBER
        + r",?\s*(?i:No\.?|Nomor|số)\s*"
        + _NUM
    ),
]
# A street word followed by a lower-case Latin word is no street ("3 street children").
LOWER_AFTER_STREET = re.compile(r"(?i:street|st\.|road|soi|gang|lorong|jalan)\s+[a-z]")


def _country_of(text: str) -> str:
    """The country an address's words or script point to, for the suggestion."""
    if re.search(r"[\u0e00-\u0e7f]|\bSoi\b|\bMoo\b", text):
        return "Thailand"
    if re.search(r"[\u0e80-\u0eff]", text):
        return "Lao PDR"
    if re.search(r"[\u1780-\u17ff]", text):
        return "Cambodia"
    if re.search(r"[\u1000-\u109f]", text):
        return "Myanmar"
    if re.search(
        r"đường|phố|ngõ|hẻm|số|[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]", text, re.I
    ):
        return "Viet Nam"
    if re.search(r"\bJl\.|\bGang\b|\bNomor\b", text):
        return "Indonesia"
    if re.search(r"\bJalan\b|\bJln\b|\bLorong\b", text, re.I):
        return "Malaysia or Indonesia"
    if re.search(r"\bPurok\b|\bBarangay\b|\bBrgy\b", text, re.I):
        return "the Philippines"
    return ""


def _addresses(norm: str) -> Iterator[tuple[int, int, str]]:
    for pattern in ADDRESSES:
        for m in pattern.finditer(norm):
            found = m.group().rstrip(" ,")
            if pattern is not ADDRESSES[2] and LOWER_AFTER_STREET.search(found):
                continue
            country = _country_of(found)
            where = f"a city or district in {country}" if country else "the city or district only"
            yield m.start(), m.start() + len(found), where


# --- social media accounts ------------------------------------------------------------------

PLATFORM = (
    r"(?:facebook|fb|messenger|instagram|ig|tiktok|twitter|x|line|telegram|tg|whatsapp|wa|"
    r"zalo|wechat|weixin|viber|signal|skype|kakaotalk|snapchat|discord)"
)
PROFILE_URL = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:www\.|m\.|web\.)?"
    r"(?:facebook\.com|fb\.com|fb\.me|instagram\.com|tiktok\.com|twitter\.com|x\.com|t\.me|"
    r"telegram\.me|line\.me|zalo\.me|wa\.me|vk\.com|youtube\.com)/[\w.@~%+=?&/-]*[\w/]",
    re.IGNORECASE,
)
AT_HANDLE = re.compile(r"(?<![\w.@+-])@(?P<h>[A-Za-z0-9_](?:[\w.]{0,38}[\w])?)(?![\w@(])")
PLATFORM_ACCOUNT = re.compile(
    r"(?<![\w])"
    + PLATFORM
    + r"(?P<label>\s*(?:id|username|user name|handle|account(?: name)?|name)\s*:?|\s*:)\s*"
    r"@?(?P<h>[\w.]{3,40}[\w])(?![\w@])",
    re.IGNORECASE,
)


def _handles(norm: str) -> Iterator[tuple[int, int, str]]:
    for m in PROFILE_URL.finditer(norm):
        yield m.start(), m.end(), "A link to a person's social media profile."
    for m in AT_HANDLE.finditer(norm):
        yield m.start(), m.end(), "A social media account name."
    for m in PLATFORM_ACCOUNT.finditer(norm):
        value = m.group("h")
        strong = re.search(r"(?i)id|user|handle", m.group("label"))
        if not strong and not re.search(r"[\d_.]", value):
            continue  # "Telegram: they asked", "Facebook account holder": not account-like
        if value.lower() in NOT_ACCOUNTS:
            continue
        yield m.start("h"), m.end("h"), "A social media account name."


# Words after "... ID:" or "account" that are no account.
NOT_ACCOUNTS: Final = frozenset(
    _split(
        "and or was is the a an of to for with from on in by number group account accounts "
        "chat chats message messages call calls"
    )
)


# --- names ----------------------------------------------------------------------------------

# Words that are never a person's name after an honorific or "called".
NOT_NAMES: Final = frozenset(
    w.lower()
    for w in _split(
        # roles
        "Chair Chairperson Co-Chair President Vice Minister Secretary Secretariat Director "
        "Officer Delegate Delegation Representative Ambassador Speaker Member Judge Prosecutor "
        "Police Inspector Commissioner Victim Survivor Broker Recruiter Agent Employer Boss "
        "Manager Supervisor Guard Driver Owner Lawyer Doctor Nurse Teacher Worker Interpreter "
        "Coordinator Head Chief Focal Point Rapporteur Expert Trainer Coder Reviewer "
        # countries, nationalities and places
        "ASEAN Brunei Darussalam Cambodia Indonesia Lao Laos PDR Malaysia Myanmar Philippines "
        "Singapore Thailand Viet Nam Vietnam Timor-Leste China Korea Japan Taiwan Dubai Bangkok "
        "Phnom Penh Vientiane Hanoi Jakarta Manila Yangon Kuala Lumpur Sihanoukville Myawaddy "
        "Golden Triangle Cambodian Indonesian Lao Malaysian Thai Vietnamese Filipino Burmese "
        "Kota Rịa "
        # organisations and the register's vocabulary
        "ACWC SOMTC ASLOM ACMW ACTIP UNODC ILO IOM UNICEF UNHCR OHCHR Interpol Aseanapol NGO "
        "Government Ministry Department Court Office Committee Working Group Draft Zero Round "
        "Indicator Indicators Article Annex Section Proposal Comment Meeting Protocol Convention "
        "Palermo Non-Punishment Principle Recruitment Exploitation Coercion Control Nexus Strong "
        "Medium Weak Adult Child Children The A An This That His Her Their It "
        "Forced Criminality Criminal Labour Labor Trafficking Human Online Scam Scams Fraud Drug "
        "Drugs Deceptive Coercive Abuse Vulnerability Compelled Activity Destination Debt "
        "Bondage Facebook WhatsApp Telegram LINE Zalo WeChat TikTok Google Mekong Operational "
        # places that follow a word which is also an honorific (Mae Sai District, Ko Samui, Pak
        # Chong)
        "District Province Border Checkpoint Township Region State City Village Commune Ward "
        "Town Market Bridge River Port Airport Island Samui Chang Kong Tao Phangan Lanta Chong "
        "Kret Beng "
        # the honorifics themselves
        "Mr Mrs Ms Miss Mx Dr Madam Sir"
    )
)
ORGANISATION_AFTER = re.compile(
    r"^\s+(?:Company|Co\.|Ltd|Limited|Group|Trading|Casino|Hotel|Compound|Park|Zone|Resort|"
    r"Agency|Tower|Building|Centre|Center|Bank|Corporation|Corp\.|Inc\.|Street|Road|Province)",
    re.IGNORECASE,
)
_CAP = UPPER + r"[\w'\u2019-]*"
LATIN_NAME_PATTERNS = [
    re.compile(
        L0
        + r"(?P<h>Mr|Mrs|Ms|Miss|Mx|Dr|Madam|Mdm|Sir|Gng|Bb|Ptr)\.?\s+(?P<name>"
        + _CAP
        + r"(?:\s+"
        + _CAP
        + r"){0,3})"
    ),
    re.compile(
        L0 + r"(?P<h>[Aa]nh|[Cc]hị|[Ôô]ng|[Bb]à|[Ee]m|[Cc]ô|[Cc]hú|[Bb]ác|Encik|Cik|Puan|Tuan|"
        r"Bapak|Pak|Ibu|Bu|Saudara|Saudari|Haji|Hajah|Datuk|Dato'|Kak|Mas|Mbak|Aling|Mang|"
        r"Kuya|Ate|si|ni|kay|U|Daw|Ko|Ma|Maung|Mg|Naw|Saw|Nang|Sai)\s+(?P<name>"
        + _CAP
        + r"(?:\s+"
        + _CAP
        + r"){0,3})"
    ),
    re.compile(
        L0 + r"(?P<h>(?i:named|called|name is|name was|the name|known as|went by|nicknamed|alias|"
        r"a\.k\.a\.|tên là|tên|bernama|nama(?:nya)?|nagngangalang|pangalan))\s*:?\s*"
        r"[\"\u201c'\u2018]?(?<=[\s\"\u201c'\u2018])(?P<name>"
        + _CAP
        + r"(?:\s+"
        + _CAP
        + r"){0,3})"
    ),
]
THAI_NOT_NAMES = [
    "นายจ้าง",
    "นายหน้า",
    "นายทุน",
    "นายอำเภอ",
    "นายก",
    "นายพล",
    "นายร้อย",
    "นายตำรวจ",
    "นายประกัน",
    "นายด่าน",
    "นายท่าน",
    "นายทหาร",
    "นายสถานี",
    "นายเรือ",
    "นายช่าง",
    "นายแพทย์",
    "นางพยาบาล",
    "นางงาม",
    "นางแบบ",
    "นางฟ้า",
    "นางเอก",
    "นางร้าย",
    "ชื่อเสียง",
    "ชื่อเรื่อง",
    "ชื่อบริษัท",
    "ชื่อเล่นว่า",
    "ชื่อของ",
]
SCRIPT_NAME_PATTERNS = [
    # Thai: the name runs on from the honorific (นายสมชาย) or after a space
    re.compile(
        r"(?P<h>นางสาว|น\.ส\.|เด็กชาย|เด็กหญิง|ด\.ช\.|ด\.ญ\.|นาย|นาง|คุณ|ชื่อ(?:ว่า)?)\s?"
        r"(?P<name>[\u0e01-\u0e2e][\u0e01-\u0e4e]{1,30})"
    ),
    # Lao
    re.compile(r"(?P<h>ທ້າວ|ນາງສາວ|ນາງ|ທ່ານ|ຊື່)\s?(?P<name>[\u0e81-\u0eae][\u0e81-\u0ecd]{1,30})"),
    # Khmer
    re.compile(
        r"(?<![\u1780-\u17ff])(?P<h>លោកស្រី|អ្នកស្រី|លោក|កញ្ញា|ឈ្មោះ)\s?(?P<name>[\u1780-\u17b3][\u1780-\u17d2]{1,30})"
    ),
    # Myanmar
    re.compile(r"(?P<h>ဦး|ဒေါ်|အမည်)\s?(?P<name>[\u1000-\u102a][\u1000-\u104f]{1,30})"),
]
# Khmer words that follow the honorifics and are no name: world, month, you (plural), etc.
SCRIPT_NOT_NAMES = ["លោកអ្នក", "ឈ្មោះរបស់", "ဦးစီး", "ဦးဆောင်", "ဦးတည်", "ဦးစားပေး", "ဦးနှောက်", "ທ່ານຈະ"]


# Vietnamese family names: the distinctive ones start a name of three or four capitalised parts;
# the short ones that are also English words (Le, Do, Ho, Ly, Vu, Vo) only with a usual middle
# name. "Ho Chi Minh" is a city.
VN_FAMILY: Final = frozenset(
    _split(
        "Nguyen Nguyễn Tran Trần Pham Phạm Hoang Hoàng Huynh Huỳnh Phan Dang Đặng Bui Bùi Ngo "
        "Ngô Duong Dương Truong Trương Dinh Đinh Vũ Võ Lê Đỗ Hồ Lý"
    )
)
VN_FAMILY_SHORT: Final = frozenset(_split("Le Do Ho Ly Vu Vo"))
VN_MIDDLE: Final = frozenset(
    w.lower()
    for w in _split(
        "Van Văn Thi Thị Duc Đức Minh Ngoc Ngọc Hong Hồng Quoc Quốc Thanh Xuan Xuân Huu Hữu Dinh "
        "Đình Kim Anh Tuan Tuấn Gia Bao Bảo Cong Công Trong Trọng Ba Bá Nhu Như Phuong Phương Thu "
        "Hai Hải Tien Tiến Khanh Khánh Quang Manh Mạnh Viet Việt"
    )
)
VN_NAME = re.compile(L0 + r"(?P<name>" + _CAP + r"(?:\s+" + _CAP + r"){2,3})")
# A quoted nickname after a role: Agent 'Tony', the boss "Big Brother".
ROLE_NICKNAME = re.compile(
    L0 + r"(?i:agent|boss|manager|broker|recruiter|supervisor|team leader|leader|uncle|auntie|"
    r"aunt|brother|sister|chief|driver|guard|handler|trainer|commander|captain|big brother)\s+"
    r"[\"\u201c'\u2018](?P<name>" + _CAP + r"(?:\s+" + _CAP + r"){0,2})[\"\u201d'\u2019]"
)
SEX = r"(?:F|M|female|male|woman|man|girl|boy|nữ|nam)"
# A name with an age, or a sex and an age, in apposition: "Maria Santos, 24," "Le Thi Hoa (F, 22)".
APPOSITION = re.compile(
    L0 + r"(?P<name>" + _CAP + r"(?:\s+" + _CAP + r"){1,3})"
    r"(?:,\s*(?P<age>\d{1,2})(?=\s*(?:[,;)]|\.(?!\d)|$)|\s+(?:years?|yrs?|y/?o)" + L1 + r")"
    r"|\s*\((?P<sexage>" + SEX + r",\s*\d{1,2}|\d{1,2},\s*" + SEX + r")\))"
)
SEX_AGE = re.compile(r"\((?P<sexage>" + SEX + r",\s*\d{1,2}|\d{1,2},\s*" + SEX + r")\)")
# Words that start a sentence or a phrase, never the first word of a name in apposition.
STARTERS: Final = frozenset(
    _split(
        "in on at by for from of to with and but or yet so then when while after before since "
        "until yesterday today later also both each every one two three"
    )
)


def _name_words(words: list[str], vocabulary: frozenset[str]) -> bool:
    """No word is a role, a place, an organisation's word or the register's; no digit."""
    for w in words:
        if ORGANISATION_AFTER.match(" " + w):
            return False
        parts = w.strip("'\u2019-").lower().split("-")
        if any(part in NOT_NAMES or part in vocabulary for part in parts) or re.search(r"\d", w):
            return False
    return True


def _vietnamese_names(norm: str, vocabulary: frozenset[str]) -> Iterator[tuple[int, int, str]]:
    for m in VN_NAME.finditer(norm):
        words = m.group("name").split()
        first = words[0]
        if first not in VN_FAMILY and first not in VN_FAMILY_SHORT:
            continue
        kept = words[:1]
        for w in words[1:]:
            if not _name_words([w], vocabulary) or w.lower() in STREET_WORDS:
                break
            kept.append(w)
        if len(kept) < 3:
            continue
        if first in VN_FAMILY_SHORT and kept[1].lower() not in VN_MIDDLE:
            continue
        if [w.lower() for w in kept[:3]] == ["ho", "chi", "minh"]:
            continue
        end = m.start() + len(" ".join(kept))
        if norm[m.start() : end] != " ".join(kept) or ORGANISATION_AFTER.search(norm[end:]):
            continue
        yield m.start(), end, "A personal name (a Vietnamese full name)."


STREET_WORDS: Final = frozenset(
    _split("street road avenue lane alley soi đường phố ward district province city")
)


def _more_names(norm: str, vocabulary: frozenset[str]) -> Iterator[tuple[int, int, str]]:
    yield from _vietnamese_names(norm, vocabulary)
    for m in ROLE_NICKNAME.finditer(norm):
        if _name_words(m.group("name").split(), vocabulary):
            yield m.start("name"), m.end("name"), "A nickname, which can identify a person."
    for m in APPOSITION.finditer(norm):
        words = m.group("name").split()
        start = m.start("name")
        while words and words[0].lower() in STARTERS:
            start = norm.index(words[1], start + len(words[0])) if len(words) > 1 else start
            words = words[1:]
        if len(words) < 2 or not _name_words(words, vocabulary):
            continue
        yield start, m.end("name"), "A personal name, with an age beside it."


def _apposition_ages(norm: str, vocabulary: frozenset[str]) -> Iterator[tuple[int, int, str]]:
    for m in SEX_AGE.finditer(norm):
        age = int(re.search(r"\d+", m.group("sexage")).group())  # type: ignore[union-attr]
        low = age // 10 * 10
        yield m.start("sexage"), m.end("sexage"), f"age band {low}-{low + 9}"
    for m in APPOSITION.finditer(norm):
        if m.group("age") is None:
            continue
        words = [w for w in m.group("name").split() if w.lower() not in STARTERS]
        if len(words) < 2 or not _name_words(words, vocabulary):
            continue
        age = int(m.group("age"))
        low = age // 10 * 10
        yield m.start("age"), m.end("age"), f"age band {low}-{low + 9}"


def _names(original: str, norm: str, vocabulary: frozenset[str]) -> Iterator[tuple[int, int, str]]:
    for pattern in LATIN_NAME_PATTERNS:
        for m in pattern.finditer(norm):
            words = m.group("name").split()
            kept: list[str] = []
            for w in words:
                parts = w.strip("'\u2019-").lower().split("-")
                never = any(part in NOT_NAMES or part in vocabulary for part in parts)
                if never or re.search(r"\d", w):
                    break
                kept.append(w)
            if not kept or len(kept[0].rstrip(".")) < 2:
                continue  # an initial ("Ms A.") is what a name should become
            start = m.start("name")
            as_written = re.match(
                _CAP + r"(?:\s+" + _CAP + "){" + str(len(kept) - 1) + "}", norm[start:]
            )
            assert as_written is not None
            end = start + len(as_written.group().rstrip("'\u2019-"))
            if ORGANISATION_AFTER.search(norm[end:]):
                continue
            begin = start if pattern is LATIN_NAME_PATTERNS[2] else m.start()
            yield begin, end, "A personal name."
    for pattern in SCRIPT_NAME_PATTERNS:
        for m in pattern.finditer(original):
            whole = m.group()
            if any(whole.startswith(w) for w in THAI_NOT_NAMES):
                continue
            if any(whole.startswith(w) and w != m.group("h") for w in SCRIPT_NOT_NAMES):
                continue
            if m.group("h") == "คุณ" and not re.match(r"\s", original[m.end("h") : m.end("h") + 1]):
                continue  # คุณ runs into words (คุณภาพ, quality); as an honorific a space follows
            yield m.start(), m.end(), "A personal name."


# --- together -------------------------------------------------------------------------------


def find_personal_data(
    text: str,
    *,
    reference_year: int | None = None,
    kinds: Iterable[str] = KINDS,
    vocabulary: Iterable[str] = (),
) -> list[Finding]:
    """Every finding in the text, in the order of the text. `reference_year` (the year the text
    describes, or this year) turns a date of birth's suggestion into an age band; without it the
    suggestion is a five-year band of birth years. `kinds` narrows what is looked for: a case
    study checks every kind (KINDS); a comment or an imported file, where a meeting's date or an
    age threshold is ordinary, GENERAL_KINDS (no exact_date, no exact_age). `vocabulary`: words
    that are never a name after an honorific or "called" (the register's titles, say: "a practice
    called Deceptive Recruitment"); phrases are split into words, case does not matter."""
    wanted = set(kinds)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValueError(f"kinds: {sorted(unknown)[0]!r} is not one of {', '.join(KINDS)}")
    norm = normalise_digits(text)
    raw: list[tuple[int, int, str, str, str]] = []
    for m in EMAIL.finditer(norm):
        raw.append((m.start(), m.end(), "email", "An e-mail address.", "leave it out"))
    for start, end, why in _handles(norm):
        raw.append((start, end, "handle", why, "leave it out (say 'a social media account')"))
    for start, end, why in _national_ids(norm):
        raw.append((start, end, "national_id", why, "leave it out (say 'an identity card')"))
    for start, end, why in _passports(norm):
        raw.append((start, end, "passport", why, "leave it out (say 'a passport')"))
    raw.extend(_dates(norm, reference_year))
    for start, end, why in _phones(norm):
        raw.append((start, end, "phone", why, "leave it out (say 'a phone number')"))
    for start, end, band in _ages(norm):
        raw.append((start, end, "exact_age", "An exact age helps identify a person.", band))
    for start, end, where in _addresses(norm):
        raw.append((start, end, "address", "A street address.", where))
    never_names = frozenset(
        w.lower() for phrase in vocabulary for w in re.findall(r"[\w'-]+", phrase)
    )
    for start, end, why in [*_names(text, norm, never_names), *_more_names(norm, never_names)]:
        raw.append((start, end, "name", why, "a role or an initial ('the woman', 'Ms A.')"))
    for start, end, band in _apposition_ages(norm, never_names):
        raw.append((start, end, "exact_age", "An exact age helps identify a person.", band))
    order = {k: i for i, k in enumerate(KINDS)}
    kept: list[tuple[int, int, str, str, str]] = []
    # overlaps are settled among every kind, so that a date is not then taken for a phone
    for item in sorted(raw, key=lambda r: (order[r[2]], r[0], -(r[1] - r[0]))):
        if any(item[0] < k[1] and k[0] < item[1] for k in kept):
            continue
        kept.append(item)
    return [
        Finding(kind, start, end, text[start:end], why, suggestion)
        for start, end, kind, why, suggestion in sorted(kept)
        if kind in wanted
    ]
