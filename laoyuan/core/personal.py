"""Personal data (PIPL): masking for display, encryption and a keyed hash for ID numbers."""

import base64
import hashlib
import hmac
import re
import unicodedata

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# Resident ID (居民身份证号): 17 digits and a check character.
ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def mask_phone(phone: str) -> str:
    """138****1234: the first three and last four digits."""
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def normalise_phone(phone: str, *, field: str | None = None) -> str:
    """A mobile number without spaces or dashes ("" stays ""); anything else is a
    ValidationError, on ``field`` when given (as services report it) or plain (as a form's
    ``clean_<field>`` does)."""
    phone = phone.strip().replace(" ", "").replace("-", "")
    if phone and not PHONE_RE.match(phone):
        message = _("Enter an 11-digit mobile number, such as 13812345678.")
        raise ValidationError({field: message} if field else message)
    return phone


def same_name(a: str, b: str) -> bool:
    """Whether two written names are one: compared after NFKC (full-width to half-width) and
    without any whitespace."""
    return "".join(unicodedata.normalize("NFKC", a).split()) == "".join(
        unicodedata.normalize("NFKC", b).split()
    )


def mask_id_number(number: str) -> str:
    """The first digit and last four, the rest hidden (4*************1234)."""
    if len(number) < 6:
        return "*" * len(number)
    return number[0] + "*" * (len(number) - 5) + number[-4:]


def normalise_id_number(number: str) -> str:
    return number.strip().upper()


def id_number_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_is_valid(number: str) -> bool:
    number = normalise_id_number(number)
    return bool(ID_NUMBER_RE.match(number)) and id_number_check_char(number[:17]) == number[17]


def _fernet() -> Fernet:
    key = settings.ID_NUMBER_KEY.encode()
    try:
        return Fernet(key)
    except ValueError:
        # A passphrase rather than a Fernet key: derive a proper 32-byte key from it.
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key).digest()))


def encrypt_id_number(number: str) -> str:
    return _fernet().encrypt(normalise_id_number(number).encode()).decode()


def decrypt_id_number(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def id_number_hash(number: str) -> str:
    """Keyed hash: equal numbers give equal hashes, but the hash reveals nothing without the key."""
    digest = hmac.new(
        settings.ID_HASH_KEY.encode(), normalise_id_number(number).encode(), hashlib.sha256
    )
    return digest.hexdigest()
