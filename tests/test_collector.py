"""loopholes.collector: a search collects garbage less often, and leaves the pace as it
found it, whatever happens inside."""

from __future__ import annotations

import gc

import pytest

from loopholes.collector import YOUNG_EVERY, relaxed, relaxing


def test_relaxed_sets_the_pace_and_restores_it():
    before = gc.get_threshold()
    with relaxed():
        assert gc.get_threshold()[0] == YOUNG_EVERY
        assert gc.get_threshold()[1:] == before[1:]
        assert gc.isenabled()  # collections still happen, less often
    assert gc.get_threshold() == before


def test_nested_blocks_keep_the_outer_pace_and_an_error_restores_it():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError):
        with relaxed():
            with relaxed():
                assert gc.get_threshold()[0] == YOUNG_EVERY
            assert gc.get_threshold()[0] == YOUNG_EVERY
            raise RuntimeError("a search that fails")
    assert gc.get_threshold() == before


def test_collection_switched_off_stays_off():
    before = gc.get_threshold()
    gc.set_threshold(0)
    try:
        with relaxed():
            assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


def test_the_search_runs_relaxed(monkeypatch):
    import importlib

    search_module = importlib.import_module("loopholes.search")
    seen = []
    original = search_module._Engine.run

    def spy(self, progress):
        seen.append(gc.get_threshold()[0])
        return original(self, progress)

    monkeypatch.setattr(search_module._Engine, "run", spy)
    before = gc.get_threshold()
    search_module.search("ca-sb53", max_evals=200, draws=2)
    assert seen == [YOUNG_EVERY]
    assert gc.get_threshold() == before


def test_relaxing_keeps_the_function_name_and_result():
    @relaxing
    def answer(x):
        """Doc."""
        return x + 1

    assert answer(1) == 2 and answer.__name__ == "answer" and answer.__doc__ == "Doc."
