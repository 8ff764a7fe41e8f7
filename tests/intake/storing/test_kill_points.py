"""Kill -9 at random points of the intake (issue "Hostile input"): `ciess submit` of a training
file that takes about a second, started as a process and killed after a random delay, 10 times on
one home. After each kill the ledger agrees with the archive and the lake, `ciess doctor --repair`
(on the home aged past the 10 minutes it leaves alone) leaves nothing the ledger does not know and
nothing half-written, and the next submission is accepted with the next version.

The code is that of the long run, benchmarks/kill_intake.py (100 kills and a comparison of the
marts with a clean rebuild, `make fuzz`; figures in docs/reliability.md). The delays are random,
so which points are reached differs from run to run; the checks hold at every one."""

from __future__ import annotations

import sys

import pytest

from pipelines.common.paths import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
from kill_intake import FINISHED, kills, make_files  # the kill points live with the long run

KILLS = 10
ROWS = 150_000  # about a second of `ciess submit` here


@pytest.mark.long
def test_ten_kills_during_intake_leave_a_home_that_agrees_and_takes_the_next_version(ciess, tmp_path):
    def runner(*args):  # doctor and the next submission in-process; the killed one is a process of its own
        result = ciess.run(*args)
        return result.exit_code, result.output

    files = make_files(tmp_path / "files", ROWS)
    done = kills(ciess.home, runner, files, tmp_path, KILLS, seed=17)

    assert sum(kill.phase != FINISHED for kill in done) == KILLS, [kill.phase for kill in done]
    problems = [problem for kill in done for problem in kill.problems]
    assert problems == []
    assert [kill.next_version for kill in done] == sorted({kill.next_version for kill in done})
