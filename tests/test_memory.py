"""ontomed.memory.no_gc: the cyclic collector off for bulk work, and back as it was after."""

from __future__ import annotations

import gc

import pytest

from ontomed.memory import no_gc


def test_the_collector_is_off_inside_and_back_on_after_even_on_an_error():
    assert gc.isenabled()
    with no_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), no_gc():
        raise ValueError("bulk work failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with no_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
