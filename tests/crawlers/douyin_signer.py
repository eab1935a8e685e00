"""A stand-in request signer for the Douyin tests: appends the parameter a real signer would
compute (the saved responses are keyed on it), so the tests prove the hook is applied."""


def sign(url: str, headers: dict[str, str]) -> str:
    return f"{url}&a_bogus=fixture-signature"


def broken(url: str, headers: dict[str, str]) -> str:
    raise RuntimeError("signing service unreachable")
