"""Slack: the transport, connecting a workspace (OAuth), and what comes back from Slack (button
answers and the `/twoway` slash command, signed with the app's signing secret).

We use slack-sdk's WebClient and AuthorizeUrlGenerator directly rather than a Bolt app: Django
already routes, authenticates and stores; Bolt would add a second framework.
"""
