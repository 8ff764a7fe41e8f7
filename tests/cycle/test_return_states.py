"""A return's state is a function of the ledger, the explanations and the review events, and nothing
else: hypothesis drives random sequences of real submissions (`submit` on real files), explanations
(`explain`) and review actions (`review`) on one return, and after every step the state the product
derives must be the one a small reference model, written here from the spec's table, says."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from pipelines.common.settings import Settings
from pipelines.cycle.explanations import explain
from pipelines.cycle.review import Refused, review
from pipelines.cycle.status import period_report
from tests.conftest import EXAMPLES, PERIOD

INSTITUTION = "AR-ANSES"
EXPLAINABLE = {"HOURS_UNUSUAL", "AGE_UNUSUAL", "STAFF_NOT_IN_ROSTER", "HEADCOUNT_JUMP"}
FILES = {
    "staffing": [EXAMPLES["staffing"] / "valid.csv", EXAMPLES["staffing"] / "warning-AGE_UNUSUAL.csv"],
    "training": [EXAMPLES["training"] / "valid.csv", EXAMPLES["training"] / "warning-HOURS_UNUSUAL.csv"],
}
COMMENT = "Please check the hours of the July workshops again."


class Model:
    """The spec's table (cycle.md, "The return"), written independently of the product."""

    def __init__(self):
        self.current: dict[str, tuple[str, set[str]]] = {}  # kind -> (submission_id, explainable rules)
        self.explained: set[tuple[str, str]] = set()
        self.last_review: str | None = None
        self.changed_since_review = False

    def state(self) -> str:
        if self.last_review == "approve":
            return "APPROVED"
        if self.last_review == "return" and not self.changed_since_review:
            return "RETURNED"
        if len(self.current) < 2:
            return "MISSING"
        unexplained = [(sid, rule) for sid, rules in self.current.values() for rule in rules
                       if (sid, rule) not in self.explained]  # fmt: skip
        return "NEEDS_EXPLANATION" if unexplained else "READY"


class ReturnMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        import tempfile

        self.folder = tempfile.TemporaryDirectory(prefix="ciess-states-")
        self.settings = Settings.from_env(Path(self.folder.name) / "home")
        self.model = Model()
        self.sent = 0

    def teardown(self):
        self.folder.cleanup()

    @rule(kind=st.sampled_from(["staffing", "training"]), which=st.integers(0, 1), new_bytes=st.booleans())
    def submit_file(self, kind, which, new_bytes):
        from pipelines.intake.submission import submit

        source = FILES[kind][which]
        path = Path(self.folder.name) / f"upload-{self.sent}.csv"
        self.sent += 1
        data = source.read_bytes()
        path.write_bytes(data + b"\n" * self.sent if new_bytes else data)  # blank lines: same rows, new bytes
        receipt = submit(path, INSTITUTION, kind, PERIOD, self.settings).receipt
        if self.model.state() == "APPROVED":
            assert receipt["status"] == "REJECTED"
            assert "RETURN_APPROVED" in receipt["rule_counts"]
        elif receipt["status"].startswith("ACCEPTED"):
            rules = {rule for rule in receipt["rule_counts"] if rule in EXPLAINABLE}
            self.model.current[kind] = (receipt["submission_id"], rules)
            self.model.changed_since_review = True
        else:
            assert receipt["status"] == "DUPLICATE"

    @rule(kind=st.sampled_from(["staffing", "training"]))
    def explain_warning(self, kind):
        if kind not in self.model.current or not self.model.current[kind][1]:
            return
        submission_id, rules = self.model.current[kind]
        rule_code = sorted(rules)[0]
        if self.model.state() == "APPROVED":
            with pytest.raises(Refused):
                explain(self.settings, submission_id, rule_code, "The hours are right: a long course.", "cli:test")
            return
        explain(self.settings, submission_id, rule_code, "The values are right: checked with the unit.", "cli:test")
        self.model.explained.add((submission_id, rule_code))
        self.model.changed_since_review = True

    @rule(action=st.sampled_from(["approve", "return", "reopen"]))
    def review_return(self, action):
        before = self.model.state()
        allowed = {"approve": {"READY"}, "return": {"READY", "NEEDS_EXPLANATION"}, "reopen": {"APPROVED"}}
        if before not in allowed[action]:
            with pytest.raises(Refused):
                review(self.settings, action, INSTITUTION, PERIOD, "cli:test", COMMENT)
            return
        review(self.settings, action, INSTITUTION, PERIOD, "cli:test", COMMENT)
        self.model.last_review = action
        self.model.changed_since_review = False

    @invariant()
    def state_is_the_models(self):
        if not self.settings.ledger_path.exists():
            return
        (found,) = [item for item in period_report(self.settings, PERIOD).returns if item.institution == INSTITUTION]
        assert found.state == self.model.state()


ReturnMachine.TestCase.settings = settings(
    max_examples=80, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_return_state_follows_the_spec = pytest.mark.long(ReturnMachine.TestCase)
