"""Debrief surveys: the program team's pages under the program, participants' under me/.
Every route of the app, in the order they are matched."""

from django.urls import path

from peercoach.tenancy.urls import TENANT

from .views import answer, builder

app_name = "surveys"

PROGRAM = f"{TENANT}programs/<int:pk>/surveys/"
SURVEY = f"{PROGRAM}<int:survey_pk>/"
QUESTION = f"{SURVEY}questions/<int:question_pk>/"
ME = f"{TENANT}me/surveys/"

urlpatterns = [
    # The program team's pages: list, build (while a draft), send, close, results.
    path(PROGRAM, builder.survey_list, name="list"),
    path(f"{PROGRAM}new/", builder.survey_create, name="create"),
    path(SURVEY, builder.survey_detail, name="detail"),
    path(f"{SURVEY}edit/", builder.survey_edit, name="edit"),
    path(f"{SURVEY}delete/", builder.survey_delete, name="delete"),
    path(f"{SURVEY}send/", builder.survey_send, name="send"),
    path(f"{SURVEY}close/", builder.survey_close, name="close"),
    path(f"{SURVEY}results/", builder.results, name="results"),
    path(f"{SURVEY}questions/new/", builder.question_create, name="question_create"),
    path(f"{QUESTION}edit/", builder.question_edit, name="question_edit"),
    path(f"{QUESTION}delete/", builder.question_delete, name="question_delete"),
    path(f"{QUESTION}move/", builder.question_move, name="question_move"),
    # Participants: their surveys, and answering one.
    path(ME, answer.my_surveys, name="mine"),
    path(f"{ME}<int:survey_pk>/", answer.answer, name="answer"),
]
