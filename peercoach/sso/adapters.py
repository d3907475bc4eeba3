"""django-allauth's social account adapter: apps come from each organisation's provider."""

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

from . import providers


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        return providers.social_apps(provider=provider, client_id=client_id)
