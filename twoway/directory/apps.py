from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "twoway.directory"
    label = "directory"
    verbose_name = "Directory: imports, leavers and invitations"
