"""`zerodraft screen ROUND` (the contract outside scripts rely on): one line per case study with
its reference and its result (identified, not identified or insufficient), then one line with
sensitivity and specificity. The command line sees every case study, as the secretariat does."""

from sqlalchemy.orm import Session

from app.models import Role
from app.principal import Principal
from app.rounds.export import find_round
from app.screening import rules, service

# Whoever runs the command holds the database: they see what the secretariat sees.
OPERATOR = Principal(user_id=0, email="", name="command line", role=Role.SECRETARIAT)


def screen_lines(session: Session, round_ref: str) -> list[str]:
    round_ = find_round(session, round_ref)
    run = service.screen_round(session, OPERATOR, round_, rules.for_round(session, round_))
    width = max((len(r.case.reference) for r in run.rows), default=0)
    lines = [
        f"{row.case.reference:<{width}}  {row.result.result.value:<14}  "
        f"met: {', '.join(row.result.dimensions_met_worst) or '-'}"
        + (
            f" (best case: {', '.join(row.result.dimensions_met_best) or '-'})"
            if row.result.dimensions_met_best != row.result.dimensions_met_worst
            else ""
        )
        for row in run.rows
    ]
    source = "frozen revisions" if round_.issued_at is not None else "register now"
    lines.append(
        f"{round_.symbol} ({source}), {run.rule.name} v{run.rule.version}: " + run.metrics.summary()
    )
    return lines
