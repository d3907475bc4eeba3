"""Coaching sessions, goals, progress reports, pauses, opt-outs and concerns.

One module per area; every model is tenant-owned (`organization` first, scoped manager).
Private content lives in its own tables (`PrivateNote`, `Reflection`, `Concern`) so that
no query over a shared table can carry it by accident.
"""

from .endings import Concern, ConcernAccess, OptOut, Pause
from .goals import Goal, GoalProgress, GoalStep, GoalUpdate, Plan, ProgressReport
from .sessions import (
    CalendarFeed,
    Checklist,
    Feedback,
    Preparation,
    PrivateNote,
    Reflection,
    Session,
    SessionPart,
)

__all__ = [
    "CalendarFeed",
    "Checklist",
    "Concern",
    "ConcernAccess",
    "Feedback",
    "Goal",
    "GoalProgress",
    "GoalStep",
    "GoalUpdate",
    "OptOut",
    "Pause",
    "Plan",
    "Preparation",
    "PrivateNote",
    "ProgressReport",
    "Reflection",
    "Session",
    "SessionPart",
]
