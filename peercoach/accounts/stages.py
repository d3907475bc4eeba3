"""allauth's login stage "enter your authenticator code", asked unless a second factor was
already done at this sign-in elsewhere (hook `second_factor_done_at_sign_in`: a single
sign-on whose provider asserted one, for an organisation that trusts it)."""

from allauth.mfa.stages import AuthenticateStage as AllauthAuthenticateStage

from peercoach.hooks import hooks_run

# The stage this one replaces in AccountAdapter.get_login_stages.
REPLACES = "allauth.mfa.stages.AuthenticateStage"


class AuthenticateStage(AllauthAuthenticateStage):
    def _should_handle(self, request):
        if any(hooks_run("second_factor_done_at_sign_in", request=request, login=self.login)):
            return False
        return super()._should_handle(request)
