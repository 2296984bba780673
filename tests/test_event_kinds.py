import pytest

from newstrace.errors import InputError
from newstrace.match.event_kinds import lead_event, load_event_kinds

from factories import user_file_error


def test_a_newsroom_adds_its_own_kinds_and_words(tmp_path, monkeypatch):
    extra = tmp_path / "kinds.json"
    extra.write_text('{"kinds": {"sentenced": ["sentenced", "приговорил"], "resigned": ["démissionne"]},'
                     ' "recap_cues": ["weeks before"]}', encoding="utf-8")
    text = "A Valdorian court sentenced the former minister Orlan to five years"
    assert lead_event(text) is None
    monkeypatch.setenv("NEWSTRACE_EVENT_KINDS", str(extra))
    assert lead_event(text) == "sentenced"
    assert lead_event("Суд приговорил бывшего министра Орлана к пяти годам") == "sentenced"
    assert lead_event("Le Premier ministre démissionne") == "resigned"
    assert lead_event("Macron appointed Lecornu") == "appointed", "the built-in kinds stay"
    assert lead_event("Weeks before the court sentenced him, Orlan resigned") == "resigned"


@pytest.mark.parametrize("content, problem", [
    ('["resigned"]', "expected a JSON object"),
    ('{"kinds": ["resigned"]}', "'kinds': expected an object"),
    ('{"kinds": {"sentenced": "sentenced"}}', "kind 'sentenced': expected a list of patterns"),
    ('{"kinds": {"sentenced": ["(unclosed"]}}', "kind 'sentenced': bad pattern"),
    ('{"recap_cues": "after"}', "'recap_cues': expected a list of words"),
    ("{broken", "invalid JSON at line 1"),
])
def test_a_bad_kinds_file_is_one_clear_error(tmp_path, content, problem):
    assert problem in user_file_error(tmp_path, content, load_event_kinds).problem


def test_a_missing_kinds_file_is_named():
    with pytest.raises(InputError, match="cannot read the event kinds file"):
        load_event_kinds("/nonexistent/kinds.json")
