"""Deep-link validation: parsers, parse_query, apply_values and bind_query, without a browser.

bind_query runs inside a fake server session (a Bokeh Document whose session context carries
the request's query), which is all it reads; the browser test checks the URL write-back.
"""

from __future__ import annotations

import doctest
import math
from types import SimpleNamespace

import panel as pn
import param
import pytest
from bokeh.document import Document
from hypothesis import given
from hypothesis import strategies as st
from panel.io.state import set_curdoc

from pages import query
from pages.query import QueryKey

HOSTILE = "<script>alert(1)</script>"


def test_module_doctests():
    assert doctest.testmod(query).failed == 0


# --- parsers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, value", [("0.5", 0.5), ("1", 1.0), ("1e-3", 1e-3), (" 0.25 ", 0.25)])
def test_float_in_accepts(raw, value):
    assert query.float_in(1e-3, 1.0)(raw) == value


@pytest.mark.parametrize(
    "raw", ["nan", "NaN", "inf", "-inf", "", "abc", "1e999", "2", "-0.5", HOSTILE, "0x10", "1,5"]
)
def test_float_in_rejects(raw):
    with pytest.raises(ValueError):
        query.float_in(1e-3, 1.0)(raw)


@pytest.mark.parametrize("raw, value", [("2", 2), ("64", 64), ("+8", 8), ("512", 512)])
def test_int_in_accepts(raw, value):
    assert query.int_in(2, 512)(raw) == value


@pytest.mark.parametrize("raw", ["1", "513", "1.5", "1e2", "9" * 5000, "", "nan", "true", HOSTILE])
def test_int_in_rejects(raw):
    with pytest.raises(ValueError):
        query.int_in(2, 512)(raw)


@pytest.mark.parametrize("raw", ["+-5", "--7", "\u00b2", "\u0663", "6\u0664", "+"])
def test_int_in_rejects_odd_signs_and_digits_without_echoing_them(raw):
    with pytest.raises(ValueError) as err:
        query.int_in(2, 512)(raw)
    assert str(err.value) == "not a whole number"


def test_choice_and_word_set():
    assert query.choice("exact", "sinkhorn")("exact") == "exact"
    with pytest.raises(ValueError):
        query.choice("exact", "sinkhorn")("EXACT")
    assert query.word_set("plan", "lines", "marginals")("lines,plan,lines") == ("lines", "plan")
    assert query.word_set("plan", "lines")("") == ()
    with pytest.raises(ValueError):
        query.word_set("plan", "lines")("plan," + HOSTILE)


def test_float_list():
    parse = query.float_list(2, 4, 0.0, 1.0)
    assert parse("0.1,0.2,0.3") == (0.1, 0.2, 0.3)
    for raw in ["0.1", "0.1,0.2,0.3,0.4,0.5", "0.1,nan", "0.1,2", "a,b", HOSTILE]:
        with pytest.raises(ValueError):
            parse(raw)


@given(st.floats(min_value=1e-4, max_value=1e3))
def test_format_float_round_trips_within_six_digits(value):
    # format_float keeps 6 significant digits: relative error at most 5e-6.
    parsed = query.float_in(1e-4, 1e3)(query.format_float(value))
    assert math.isclose(parsed, value, rel_tol=5e-6)


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=2, max_size=8))
def test_format_list_round_trips_within_four_digits(values):
    # format_list keeps 4 significant digits; absolute error at most 5e-5 for values <= 1.
    parsed = query.float_list(2, 8, 0.0, 1.0)(query.format_list(values))
    assert all(abs(a - b) <= 5e-5 for a, b in zip(parsed, values, strict=True))


# --- parse_query -----------------------------------------------------------------------------

KEYS = [
    QueryKey("eps", "eps", query.float_in(1e-3, 1.0), query.format_float),
    QueryKey("n", "bins", query.int_in(2, 256)),
    QueryKey("method", "method", query.choice("exact", "sinkhorn")),
]


def test_good_keys_applied_bad_ignored_unknown_silent():
    values, notices = query.parse_query(
        {"eps": "0.05", "n": "nan", "method": "exact", "utm_source": "x", HOSTILE: "1"}, KEYS
    )
    assert values == {"eps": 0.05, "method": "exact"}
    assert notices == ["Ignored the link's 'n': not a whole number."]


def test_too_long_value_is_refused_unparsed():
    values, notices = query.parse_query({"eps": "0." + "1" * 10_000}, KEYS)
    assert values == {}
    assert notices == ["Ignored the link's 'eps': the value is too long."]


def test_parser_that_raises_other_errors_or_long_reasons_is_contained():
    def chatty(raw):
        raise ValueError("x" * 1000)

    def broken(raw):
        return 1 / 0

    keys = [QueryKey("a", "a", chatty), QueryKey("b", "b", broken)]
    values, notices = query.parse_query({"a": "1", "b": "1"}, keys)
    assert values == {}
    assert len(notices) == 2
    assert all(len(n) < 150 for n in notices)


@given(
    st.dictionaries(
        st.sampled_from(["eps", "n", "method", "zz"]),
        st.one_of(st.text(max_size=60), st.just(HOSTILE)),
    )
)
def test_parse_query_never_raises_and_never_echoes_values(raw_query):
    values, notices = query.parse_query(raw_query, KEYS)
    assert set(values) <= {"eps", "bins", "method"}
    for raw in raw_query.values():
        if len(raw) > 12:  # long enough not to occur in our own wording by chance
            assert all(raw not in n for n in notices)


# --- apply_values ----------------------------------------------------------------------------


class Model(param.Parameterized):
    eps = param.Number(0.1, bounds=(1e-3, 1.0))
    bins = param.Integer(32, bounds=(2, 128))  # narrower than the key allows
    method = param.Selector(default="sinkhorn", objects=["exact", "sinkhorn"])


def test_apply_values_skips_what_the_model_refuses_and_keeps_the_rest():
    model = Model()
    notices = query.apply_values(model, {"eps": 0.5, "bins": 200, "method": "exact"})
    assert (model.eps, model.bins, model.method) == (0.5, 32, "exact")
    assert notices == ["Ignored the link's value for 'bins': the page refused it."]


def test_apply_values_in_one_update_when_all_fit():
    model = Model()
    calls = []
    model.param.watch(lambda *events: calls.append(len(events)), ["eps", "bins"])
    assert query.apply_values(model, {"eps": 0.5, "bins": 64}) == []
    assert calls == [2]  # one batched event, so a page recomputes once


# --- bind_query in a fake session ------------------------------------------------------------


@pytest.fixture
def session():
    """Run code as if inside a served session whose URL query is given."""

    def enter(raw_query: dict[str, str]):
        doc = Document()
        request = SimpleNamespace(
            arguments={k: [v.encode()] for k, v in raw_query.items()}, headers={}, cookies={}
        )
        context = SimpleNamespace(request=request, id="test-session", server_context=None)
        doc._session_context = lambda: context
        return set_curdoc(doc), doc

    return enter


def _writer_value(doc: Document) -> str | None:
    values = [m.value for m in doc.roots if type(m).__name__ == "TextInput"]
    return values[0] if values else None


def test_bind_query_outside_a_server_does_nothing():
    model = Model()
    assert query.bind_query(model, KEYS) == []
    assert model.eps == 0.1


def test_bind_query_applies_validated_values_and_writes_the_url_on_change(session):
    cm, doc = session({"eps": "0.25", "n": "9" * 50, "embed": "1", "x": HOSTILE})
    with cm:
        model = Model()
        notices = query.bind_query(model, KEYS)
        assert model.eps == 0.25 and model.bins == 32
        assert notices == ["Ignored the link's 'n': not a whole number."]
        model.bins = 64
        # The shell's own keys survive; unknown and hostile keys are dropped.
        assert _writer_value(doc) == "?embed=1&eps=0.25&n=64&method=sinkhorn"


def test_bind_query_writes_a_burst_of_changes_once_at_the_end_of_the_interval(session):
    cm, doc = session({})
    with cm:
        model = Model()
        query.bind_query(model, KEYS)
        model.bins = 64  # after a quiet spell: written at once
        assert _writer_value(doc) == "?eps=0.1&n=64&method=sinkhorn"
        model.bins = 128
        model.eps = 0.5  # within the interval: both wait for one queued write
        assert _writer_value(doc) == "?eps=0.1&n=64&method=sinkhorn"
        queued = [cb for cb in doc.session_callbacks if type(cb).__name__ == "TimeoutCallback"]
        assert len(queued) == 1
        assert 0 < queued[0].timeout <= query.URL_INTERVAL * 1000
        queued[0].callback()  # what the session's loop runs when the interval ends
        assert _writer_value(doc) == "?eps=0.5&n=128&method=sinkhorn"


def test_bind_query_cleans_the_url_on_load_when_something_was_ignored(session):
    cm, doc = session({"eps": "nan"})
    with cm:
        model = Model()
        assert query.bind_query(model, KEYS)
        pending = pn.state._onload.get(doc, [])
        assert len(pending) == 1
        pending[0][0]()  # what Panel runs once the browser has loaded the page
        assert _writer_value(doc) == "?eps=0.1&n=32&method=sinkhorn"
        pn.state._onload.pop(doc, None)


def test_bind_query_with_a_clean_link_schedules_nothing(session):
    cm, doc = session({"eps": "0.5"})
    with cm:
        query.bind_query(Model(), KEYS)
        assert doc not in pn.state._onload
        assert _writer_value(doc) == ""


def test_protect_location_keeps_panel_from_parsing_hostile_values(session):
    cm, _doc = session({})
    with cm:
        query.protect_location()
        location = pn.state.location
        assert isinstance(location, query._RawLocation)
        # Panel's own parser raises on this (int() of > 4300 digits) and literal_evals "[".
        location.search = "?n=" + "9" * 6000 + "&x=[[[[&e=nan"
        assert location.query_params == {"n": "9" * 6000, "x": "[[[[", "e": "nan"}
        location.search = "?" + "&".join(f"k{i}=1" for i in range(query.MAX_KEYS + 1))
        assert location.query_params == {}
        query.protect_location()  # idempotent: the session keeps the same object
        assert pn.state.location is location
