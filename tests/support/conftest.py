from tests.notifications.conftest import smtp

__all__ = ["smtp"]
