"""A long run of the bank link's model-based test (tests/services/bank_link_model.py).

CI runs the same state machine with a small, fixed budget; this runs many more examples, with
fresh randomness each time, and prints what the runs reached (payment and send states, alarms,
batch states, each counted once per example) and how long it took. A broken invariant stops the
run with hypothesis' shortest failing sequence of steps.

  .venv/bin/python bench/bank_link_model.py [--examples 300] [--steps 50]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paybot.store import db  # noqa: E402
from tests.services import bank_link_model as model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="paybot-model-"))
    template = root / "template.db"
    engine = db.make_engine(f"sqlite:///{template}")
    db.upgrade(engine)
    engine.dispose()
    model.BankLink.template, model.BankLink.root = template, root

    reached: Counter[str] = Counter()
    steps = Counter[str]()
    teardown = model.BankLink.teardown

    def counted(self: model.BankLink) -> None:
        steps["examples"] += 1
        with self.engine.connect() as connection:
            for (status,) in connection.execute(text("SELECT DISTINCT status FROM payments")):
                reached[f"payment {status}"] += 1
            for (state,) in connection.execute(text("SELECT DISTINCT status FROM batch_payments")):
                reached[f"send {state}"] += 1
            for (kind,) in connection.execute(text("SELECT DISTINCT kind FROM alarms")):
                reached[f"alarm {kind}"] += 1
            for (state,) in connection.execute(text("SELECT DISTINCT status FROM batches")):
                reached[f"batch {state}"] += 1
        teardown(self)

    model.BankLink.teardown = counted  # type: ignore[method-assign]
    started = time.perf_counter()
    try:
        run_state_machine_as_test(
            model.BankLink,
            settings=settings(
                max_examples=args.examples,
                stateful_step_count=args.steps,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        seconds = time.perf_counter() - started
        shutil.rmtree(root, ignore_errors=True)
        asked = f"asked {args.examples}, up to {args.steps} steps"
        print(f"examples run: {steps['examples']} ({asked})")
        print(f"seconds: {seconds:.1f} ({seconds / max(steps['examples'], 1):.2f} per example)")
        print("reached (examples ending with it):")
        for name, count in sorted(reached.items()):
            print(f"  {name:<24} {count}")


if __name__ == "__main__":
    main()
