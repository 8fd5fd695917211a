"""Channels turn a platform's request into an :class:`~bot.messages.Incoming` and render the reply."""


class ChannelError(Exception):
    """A request the channel refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason
