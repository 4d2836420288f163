from django.views.generic import TemplateView  # placeholder until this module is written


class _Stub(TemplateView):
    template_name = "base.html"


SignUpView = FollowAuthorView = UnfollowAuthorView = _Stub
