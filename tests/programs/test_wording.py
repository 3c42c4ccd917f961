from twoway.programs.wording import reasons_for


def test_reasons_speak_to_their_reader() -> None:
    reasons = [
        "Ana Ruiz can help Ben Okafor with SQL; Ben Okafor can help Ana Ruiz with client calls",
        "Ben Okafor asked for Ana Ruiz",
        "levels L4 and L5",
    ]
    assert reasons_for(reasons, "Ana Ruiz") == [
        "You can help Ben Okafor with SQL; Ben Okafor can help you with client calls",
        "Ben Okafor asked for you",
        "levels L4 and L5",
    ]
    assert reasons_for(reasons, "Ben Okafor") == [
        "Ana Ruiz can help you with SQL; you can help Ana Ruiz with client calls",
        "You asked for Ana Ruiz",
        "levels L4 and L5",
    ]
    assert reasons_for(reasons, "Someone Else") == reasons
