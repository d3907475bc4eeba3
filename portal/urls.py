from django.urls import path

from peercoach.tenancy.urls import TENANT

from .views import home

app_name = "portal"

urlpatterns = [
    path(f"{TENANT}", home.home, name="home"),
]
