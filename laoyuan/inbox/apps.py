from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "laoyuan.inbox"
    label = "inbox"
    verbose_name = "Notifications (消息)"
