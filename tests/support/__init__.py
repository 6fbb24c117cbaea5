"""Test support code: loopback servers, emulators, fault injection, fixtures' helpers."""
