"""No request can lose a task to a broker outage, nor answer 500 for one.

A task queued from a request must be queued by `transaction.on_commit(..., robust=True)`
(the action is committed whatever the broker says; a sweep or the dispatcher catches up
on what it refused), or recorded in the delivery ledger (emails: `message_queue`). The
scan below reads every module of the project (not the tests, not the benchmarks) and
fails on any other use of `.delay`, `.delay_on_commit` or `.apply_async`, apart from the
few places listed here, which run in a worker or guard the call themselves.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"tests", "bench", ".venv", "node_modules", "var", "static", "templates"}
ENQUEUE = {"delay", "delay_on_commit", "apply_async"}

# (module path, function): why the enqueue there is safe.
ALLOWED = {
    # Periodic tasks, in a worker: a refused enqueue fails the run, the next one retries.
    # The dispatchers' one publishing helper (deliveries_fan_out, deliveries_dispatch):
    # a row it marks queued and the broker drops is queued again once its lease is over.
    ("peercoach/notifications/dispatch.py", "_queue"),
    ("agreements/tasks.py", "agreements_pdf_sweep"),
    ("programs/tasks.py", "matching_runs_sweep"),
    # Called after commit; catches the broker's refusal and hands the rows to the
    # dispatcher.
    ("peercoach/notifications/services.py", "deliveries_send_soon"),
    # Called after commit; sends from the web process when the broker refuses.
    ("peercoach/accounts/adapters.py", "_send_site_message"),
}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in SKIP or "migrations" in parts:
            continue
        yield path


def _robust_on_commit(node):
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute | ast.Name)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == "on_commit"
        and any(
            k.arg == "robust" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in node.keywords
        )
    )


def unsafe_enqueues(source, name):
    """[(line, text)] of each enqueue in `source` outside a robust on_commit and outside
    the allowed functions."""
    tree = ast.parse(source)
    found = []

    def visit(node, function, robust):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if _robust_on_commit(node):
            robust = True
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ENQUEUE
            and not robust
            and (name, function) not in ALLOWED
        ):
            found.append((node.lineno, ast.unparse(node)))
        for child in ast.iter_child_nodes(node):
            visit(child, function, robust)

    visit(tree, None, False)
    return found


def test_every_enqueue_is_robust():
    problems = []
    for path in _modules():
        name = path.relative_to(ROOT).as_posix()
        for line, text in unsafe_enqueues(path.read_text(), name):
            problems.append(f"{name}:{line}: {text}")
    assert problems == [], (
        "Queue tasks with transaction.on_commit(..., robust=True) or through the ledger "
        "(notifications.services.message_queue):\n" + "\n".join(problems)
    )


def test_the_scan_finds_what_it_must():
    flagged = unsafe_enqueues(
        "def view():\n"
        "    task.delay_on_commit(x=1)\n"
        "    transaction.on_commit(lambda: task.apply_async(kwargs={}))\n"
        "    transaction.on_commit(partial(task.delay, x=1), robust=True)\n"
        "    transaction.on_commit(lambda: task.delay(x=1), robust=True)\n"
        "    task.delay(x=2)\n",
        "some/module.py",
    )
    assert [line for line, _ in flagged] == [2, 3, 6]
