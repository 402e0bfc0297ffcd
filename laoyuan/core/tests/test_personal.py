from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from laoyuan.core.money import to_fen
from laoyuan.core.personal import (
    decrypt_id_number,
    encrypt_id_number,
    id_number_check_char,
    id_number_hash,
    id_number_is_valid,
    mask_id_number,
    mask_phone,
)

VALID_ID = "11010519491231002X"


def test_mask_phone_keeps_first_three_and_last_four() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("1234") == "****"


def test_mask_id_number_keeps_first_and_last_four() -> None:
    assert mask_id_number(VALID_ID) == "1*************002X"


def test_id_number_check_character() -> None:
    assert id_number_check_char(VALID_ID[:17]) == "X"
    assert id_number_is_valid(VALID_ID)
    assert id_number_is_valid(VALID_ID.lower())
    assert not id_number_is_valid("110105194912310021")
    assert not id_number_is_valid("11010519491231002")


def test_id_number_encryption_round_trips_and_hides_the_number() -> None:
    token = encrypt_id_number(VALID_ID)
    assert VALID_ID not in token
    assert decrypt_id_number(token) == VALID_ID
    # Encryption is randomised; the keyed hash is what finds duplicates.
    assert encrypt_id_number(VALID_ID) != token
    assert id_number_hash(VALID_ID) == id_number_hash(VALID_ID.lower())
    assert id_number_hash(VALID_ID) != id_number_hash("110105194912310021")


def test_id_number_hash_depends_on_the_key(settings) -> None:
    before = id_number_hash(VALID_ID)
    settings.ID_HASH_KEY = "another-key"
    assert id_number_hash(VALID_ID) != before


def test_to_fen_rounds_half_up() -> None:
    assert to_fen(Decimal("43.195")) == Decimal("43.20")
    assert to_fen(Decimal("43.194")) == Decimal("43.19")
    assert to_fen("0.005") == Decimal("0.01")
    assert to_fen(Decimal("-0.005")) == Decimal("-0.01")
    with pytest.raises(TypeError):
        to_fen(0.1)  # type: ignore[arg-type]


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=4))
def test_to_fen_is_within_half_a_fen(value: Decimal) -> None:
    rounded = to_fen(value)
    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - value) <= Decimal("0.005")
