"""The GitHub REST API client: what a workflow step needs from GitHub (sticky PR comments)."""

from __future__ import annotations

from .client import GitHubClient, github_from_env

__all__ = ["GitHubClient", "github_from_env"]
