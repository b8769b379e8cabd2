"""Names derived from config names (statement ids)."""


def camel(name: str) -> str:
    """credit-risk -> CreditRisk (statement ids allow only [A-Za-z0-9])."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-") if part)
