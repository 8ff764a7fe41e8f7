"""What the demo's people say in one quarter's cycle: the institutions' explanations of their
warnings (one per explainable rule) and CIESS's comment on the return it sends back."""

EXPLANATIONS = {
    "HOURS_UNUSUAL": "These are the long diploma courses of the year (over 400 hours each), as planned.",
    "AGE_UNUSUAL": "Staff over 75 are advisers kept on contract; their birth years are right.",
    "STAFF_NOT_IN_ROSTER": "They are staff of partner agencies trained with ours; they are not on our roster.",
    "HEADCOUNT_JUMP": "The headcount changed with this year's restructuring (offices merged or opened).",
}
RETURN_COMMENT = "Please explain the flagged values before we approve: see the warnings of your files."
LOCK_REASON = "Quarterly review done: every return sent has been reviewed."


def demo_contacts(codes: list[str], language_of: dict[str, str]) -> list[tuple[str, str, str]]:
    """One made-up contact per institution (institution, address, language): its data office at an
    example.org domain (RFC 2606: never a real mailbox), in the institution's language."""
    return [(code, f"datos@{code.lower()}.example.org", language_of[code]) for code in codes]
