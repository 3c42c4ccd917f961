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


def test_level_and_no_exchange_reasons_speak_to_their_reader() -> None:
    from twoway.programs.wording import reasons_for

    reasons = [
        "Bob Baker is one step ahead (L4 and L3)",
        "no skill exchange between Alice Archer and Bob Baker: matched on close levels",
        "Alice Archer is 2 steps ahead (L5 and L3), though Bob Baker is the mentor",
    ]
    assert reasons_for(reasons, "Bob Baker") == [
        "You are one step ahead (L4 and L3)",
        "no skill exchange between Alice Archer and you: matched on close levels",
        "Alice Archer is 2 steps ahead (L5 and L3), though you are the mentor",
    ]
    assert reasons_for(reasons, "Alice Archer")[1] == (
        "no skill exchange between you and Bob Baker: matched on close levels"
    )
