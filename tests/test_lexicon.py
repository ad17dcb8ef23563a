"""The lexicon loader (monitors.lexicon): a directory of <family>.toml files, each checked, every error naming the
file and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import FAMILIES, PRODUCT_CATEGORIES, SEVERITIES
from monitors.lexicon import LEXICON_DIR, LexiconError, load_lexicon

ENGINE_FAMILIES = {"absolute", "medical", "efficacy", "comparison", "qualification"}
RULE = 'id = "absolute.x"\nlaw = "《广告法》第九条"\nseverity = "critical"\nsuggestion = "删除"\n'


def lexicon_dir(tmp_path: Path, **files: str) -> Path:
    for family, text in files.items():
        (tmp_path / f"{family}.toml").write_text(text, encoding="utf-8")
    return tmp_path


def refused(tmp_path: Path, **files: str) -> str:
    with pytest.raises(LexiconError) as raised:
        load_lexicon(lexicon_dir(tmp_path, **files))
    return str(raised.value)


def test_the_shipped_lexicon_loads_with_a_law_tier_and_rewrite_on_every_rule():
    lexicon = load_lexicon()
    assert {path.stem for path in LEXICON_DIR.glob("*.toml")} >= ENGINE_FAMILIES
    assert {rule.family for rule in lexicon.rules} >= ENGINE_FAMILIES
    assert all(rule.law and rule.suggestion and rule.severity in SEVERITIES for rule in lexicon.rules)
    assert {rule.severity for rule in lexicon.rules if rule.family in ENGINE_FAMILIES} == set(SEVERITIES)
    assert all(exception.reason for exception in lexicon.exceptions)


def test_every_toml_file_in_the_directory_is_loaded(tmp_path):
    lexicon = load_lexicon(lexicon_dir(
        tmp_path, absolute=f'[[rule]]\n{RULE}terms = ["最好"]\n',
        education='[[rule]]\nid = "education.pass"\nlaw = "《广告法》第二十四条"\nseverity = "critical"\n'
                  'suggestion = "删除"\nterms = ["保过"]\ncategories = ["education"]\n'
                  '[[exception]]\nid = "education.past"\nreason = "r"\nterms = ["往届通过率"]\n'
                  'families = ["education"]\n'))
    assert sorted(rule.id for rule in lexicon.rules) == ["absolute.x", "education.pass"]
    [pass_rule] = [rule for rule in lexicon.rules if rule.family == "education"]
    assert pass_rule.categories == {"education"} and pass_rule.severity_on("general") is None
    assert lexicon.exceptions[0].families == {"education"}


@pytest.mark.parametrize("body, message", [
    (f'{RULE}terms = ["最好"]\nrewrite = {{}}', "rule[0] (absolute.x): unknown key(s) rewrite"),
    (RULE.replace("absolute.x", "medical.x") + 'terms = ["最好"]', 'rule[0] (medical.x): id must be "absolute.<name>"'),
    (RULE.replace('"critical"', '"high"') + 'terms = ["最好"]', "(absolute.x): severity must be one of info, warning"),
    (f'{RULE}terms = ["最好"]\ncategories = ["shoes"]', "(absolute.x): categories has unknown name(s) shoes"),
    (f'{RULE}terms = ["最好"]\nnot_categories = ["food", "toys"]', "not_categories has unknown name(s) toys"),
    (f'{RULE}terms = ["最好"]\ncategories = ["food"]\nnot_categories = ["food"]', "leave no product category"),
    (f'{RULE}terms = ["最好"]\nseverity_by_category = {{ food = "high" }}', "severity_by_category.food: severity"),
    (f'{RULE}terms = ["最好"]\ncategories = ["food"]\nseverity_by_category = {{ drug = "info" }}',
     "severity_by_category names 'drug'"),
    (f'{RULE}terms = ["國家級"]', "term '國家級' is not in matching form (write it as '国家级'"),
    (f'{RULE}terms = ["最 佳"]', "term '最 佳' is not in matching form (write it as '最佳'"),
    (f'{RULE}terms = ["zui好"]', "term 'zui好' is not in matching form (write it as '最好'"),
    (f'{RULE}terms = ["最好", "最好"]', "a term is listed twice"),
    (f"{RULE}pattern = '(最)好'", "(absolute.x): pattern must not capture"),
    (f"{RULE}pattern = '最['", "(absolute.x): pattern does not compile"),
    (f"{RULE}pattern = '最?'", "(absolute.x): pattern matches the empty string"),
    (RULE, "(absolute.x): a rule needs terms or a pattern"),
    (f'{RULE}terms = ["最好"]\n[rule.rewrites]\n"最佳" = "优选"', "rewrites for words that are not its terms: 最佳"),
])
def test_a_broken_rule_is_refused_naming_the_file_and_the_rule(tmp_path, body, message):
    text = refused(tmp_path, absolute=f"[[rule]]\n{body}\n")
    assert text.startswith(str(tmp_path / "absolute.toml")) and message in text


@pytest.mark.parametrize("body, message", [
    ('id = "absolute.e"\nreason = "r"\nterms = ["最近"]\nfamilies = ["absolut"]', "families has unknown name(s) absolut"),
    ('id = "absolute.e"\nreason = "r"\nterms = ["最近"]\nseverity = "info"', "(absolute.e): unknown key(s) severity"),
    ('id = "absolute.e"\nreason = "r"', "(absolute.e): an exception needs terms or a pattern"),
    ('id = "e"\nreason = "r"\nterms = ["最近"]', 'exception[0] (e): id must be "absolute.<name>"'),
])
def test_a_broken_exception_is_refused_naming_it(tmp_path, body, message):
    text = refused(tmp_path, absolute=f'[[rule]]\n{RULE}terms = ["最好"]\n[[exception]]\n{body}\n')
    assert message in text


def test_a_file_must_be_named_after_a_known_family_and_hold_rules(tmp_path):
    assert "'absolutes' is not a rule family" in refused(tmp_path, absolutes=f'[[rule]]\n{RULE}terms = ["最好"]\n')
    (tmp_path / "absolutes.toml").unlink()
    assert "no [[rule]] entries" in refused(tmp_path, absolute='[[exception]]\nid = "absolute.e"\nreason = "r"\n'
                                                              'terms = ["最近"]\n')
    assert "unknown top-level key(s) rules" in refused(tmp_path, absolute=f'[[rules]]\n{RULE}')
    assert "cannot read the lexicon" in refused(tmp_path, absolute="[[rule]\n")
    with pytest.raises(LexiconError, match="no lexicon files"):
        load_lexicon(tmp_path / "empty")


def test_a_term_in_two_rules_is_refused_only_when_their_categories_overlap(tmp_path):
    food = ('[[rule]]\nid = "food_claim.x"\nlaw = "l"\nseverity = "critical"\nsuggestion = "s"\nterms = ["降血糖"]\n'
            'categories = ["food", "general"]\n')
    medical = ('[[rule]]\nid = "medical.x"\nlaw = "l"\nseverity = "critical"\nsuggestion = "s"\nterms = ["降血糖"]\n'
               'not_categories = ["drug", "general"]\n')
    text = refused(tmp_path, food_claim=food, medical=medical)
    assert "term '降血糖' is also in" in text and "food_claim.x" in text and "medical.x" in text
    assert "food_claim.toml" in text and "medical.toml" in text and "on product categories food" in text
    lexicon = load_lexicon(lexicon_dir(tmp_path, medical=medical.replace('["drug", "general"]',
                                                                         '["drug", "general", "food"]')))
    assert len(lexicon.rules) == 2


def test_a_term_in_a_rule_and_an_exception_or_an_id_used_twice_is_refused(tmp_path):
    text = refused(tmp_path, absolute=f'[[rule]]\n{RULE}terms = ["最好"]\n[[exception]]\nid = "absolute.e"\n'
                                      'reason = "r"\nterms = ["最好"]\n')
    assert "(absolute.e): term '最好' is also in absolute.x" in text
    text = refused(tmp_path, absolute=f'[[rule]]\n{RULE}terms = ["最好"]\n[[rule]]\n{RULE}terms = ["最佳"]\n')
    assert "id 'absolute.x' is also used in" in text


def test_the_spec_lists_are_the_configs():
    assert len(FAMILIES) == 22 and "misleading" in FAMILIES and "urgency" in FAMILIES
    assert PRODUCT_CATEGORIES[0] == "general" and len(PRODUCT_CATEGORIES) == 12
