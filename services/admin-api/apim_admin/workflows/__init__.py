"""Approval workflows: other services register pending requests, an administrator decides."""
