"""Debrief surveys: the program team's pages under the program, participants' under me/."""

from .views import answer, builder

app_name = "surveys"

urlpatterns = [*builder.urlpatterns, *answer.urlpatterns]
