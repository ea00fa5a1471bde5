"""Tests of Huiyin, by tier: unit, integration, e2e, bench."""
