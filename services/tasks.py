"""Thin Celery tasks for services."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="services.sweep_clocks", ignore_result=True)
def sweep_clocks() -> dict[str, int]:
    """Every minute (beat): remind and escalate due clocks. Safe to overlap."""
    from services.clocks import sweep

    totals = sweep()
    if totals["steps"]:
        logger.info("clock sweep: %s", totals)
    return totals
