from tests.notifications.conftest import slack_api, smtp

__all__ = ["slack_api", "smtp"]
