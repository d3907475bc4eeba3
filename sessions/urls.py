"""Sessions, goals, reports, pauses, opt-outs and concerns: every route of the app, in the
order they are matched, under the `sessions` namespace."""

from django.urls import path

from peercoach.tenancy.urls import TENANT

from .views import concerns, endings, goals, home, log, reports, schedule
from .views.common import ME, PAIR, SESSION

app_name = "sessions"

PROGRAM = f"{TENANT}programs/<int:pk>/"
PLAN = f"{PROGRAM}plan/"
GOAL = f"{TENANT}goals/<int:pk>/"
CONCERNS = f"{TENANT}concerns/"

urlpatterns = [
    # A pair's or circle's hub and its sessions.
    path(PAIR, home.pair, name="pair"),
    path(f"{PAIR}sessions/", home.session_list, name="session_list"),
    # Scheduling, and the calendars.
    path(f"{PAIR}sessions/new/", schedule.schedule, name="schedule"),
    path(f"{SESSION}respond/", schedule.respond, name="respond"),
    path(f"{SESSION}reschedule/", schedule.reschedule, name="reschedule"),
    path(f"{SESSION}cancel/", schedule.cancel, name="cancel"),
    path(f"{SESSION}calendar.ics", schedule.session_ics, name="ics"),
    path(f"{PROGRAM}events/<int:event_pk>/calendar.ics", schedule.event_ics, name="event_ics"),
    path(f"{ME}calendar/", schedule.calendar, name="calendar"),
    path(f"{ME}calendar/reset/", schedule.calendar_reset, name="calendar_reset"),
    path("calendar/<str:token>.ics", schedule.feed, name="feed"),
    # Logging a session, and what each person adds to it.
    path(f"{PAIR}sessions/log/", log.log, name="log"),
    path(f"{PAIR}checklist/", log.checklist, name="checklist"),
    path(SESSION, log.detail, name="detail"),
    path(f"{SESSION}log/", log.log_scheduled, name="log_scheduled"),
    path(f"{SESSION}note/", log.private_note, name="private_note"),
    path(f"{SESSION}feedback/", log.feedback, name="feedback"),
    path(f"{SESSION}reflection/", log.reflection, name="reflection"),
    path(f"{SESSION}prepare/", log.prepare, name="prepare"),
    # Development plans and goals.
    path(PLAN, goals.plan, name="plan"),
    path(f"{PLAN}goals/new/", goals.goal_create, name="goal_create"),
    path(f"{GOAL}edit/", goals.goal_edit, name="goal_edit"),
    path(f"{GOAL}steps/", goals.goal_step_add, name="goal_step_add"),
    path(f"{GOAL}steps/<int:step_pk>/toggle/", goals.goal_step_toggle, name="goal_step_toggle"),
    path(f"{GOAL}updates/", goals.goal_update, name="goal_update"),
    path(f"{PAIR}plans/<int:user_pk>/", goals.partner_plan, name="partner_plan"),
    # Progress reports.
    path(f"{PAIR}report/", reports.report, name="report"),
    path(f"{PAIR}reports/", reports.reports, name="reports"),
    path(f"{PROGRAM}reports/", reports.program_reports, name="program_reports"),
    # Pauses and opt-outs.
    path(f"{PAIR}pause/", endings.pause, name="pause"),
    path(f"{PAIR}pause/end/", endings.pause_end, name="pause_end"),
    path(f"{PAIR}opt-out/", endings.opt_out, name="opt_out"),
    path(f"{PROGRAM}opt-outs/", endings.opt_outs, name="opt_outs"),
    path(
        f"{PROGRAM}opt-outs/<int:opt_out_pk>/handled/",
        endings.opt_out_handled,
        name="opt_out_handled",
    ),
    # The confidential concern channel.
    path(f"{CONCERNS}new/", concerns.concern_new, name="concern_new"),
    path(f"{ME}concerns/", concerns.my_concerns, name="my_concerns"),
    path(CONCERNS, concerns.concern_list, name="concerns"),
    path(f"{CONCERNS}handlers/", concerns.concern_handlers_page, name="concern_handlers"),
    path(f"{CONCERNS}<int:pk>/", concerns.concern_detail, name="concern_detail"),
    path(f"{CONCERNS}<int:pk>/close/", concerns.concern_close, name="concern_close"),
]
