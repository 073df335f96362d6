"""Image and video consent, official channels, publications and takedowns: the application's
consent commands, from their two halves (consent records; channels and publications)."""

from __future__ import annotations

from domain.consent.channel_handlers import ChannelHandlers
from domain.consent.record_handlers import ConsentRecordHandlers


class ConsentHandlers(ConsentRecordHandlers, ChannelHandlers):
    """Every consent command."""
