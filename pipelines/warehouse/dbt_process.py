"""`ciess-dbt`: dbt, tied to the build that started it.

dagster-dbt starts dbt as a child process. When the build is killed (kill -9, the OOM killer, a
closed terminal) nothing tells dbt, which goes on writing the warehouse with nobody to publish it.
This launcher asks Linux to send dbt SIGTERM when its parent dies (PR_SET_PDEATHSIG survives the
exec) and then becomes dbt itself, so the process dagster-dbt watches is dbt, arguments and all.
"""

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def end_with_parent() -> None:
    """Have the kernel send SIGTERM to this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        return  # not fatal: dbt runs as it did before, only without the tie


def main() -> None:
    parent = os.getppid()
    end_with_parent()
    if os.getppid() != parent:  # the parent died before the tie was made
        sys.exit(143)
    dbt = Path(sys.executable).with_name("dbt")
    os.execv(dbt, [str(dbt), *sys.argv[1:]])


if __name__ == "__main__":
    main()
