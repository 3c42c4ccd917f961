"""The seven ways of issue 17 to recover what the small-cell rules hide, each run as a curious
program manager would: the data is built through the services, the hourly job refreshes the
figures, and the attacker reads only the insights page and its CSV. Each attack now learns
nothing about one person, nor any count below k."""

from __future__ import annotations

import datetime as dt

from tests.conftest import World
from tests.insights.attacker import (
    DAY0,
    end,
    fit,
    folks,
    job,
    meet,
    on,
    pairs,
    program,
    pulse,
    read,
    recommend,
    recovered_small_cells,
    solutions,
    table,
)
from twoway.people.models import Department
from twoway.programs.services import enrolment_save

K = 5
BEFORE = [2, 3, 2, 4, 3]
AFTER = [4, 3, 3, 5, 5]


def days(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


def test_attack_1_two_publications_of_wellbeing_do_not_give_the_next_answer(
    world: World,
) -> None:
    peers = program(world)
    people = folks(world, 10, "Wellbeing")
    pairs(peers, people[:6], DAY0)
    for person, b, a in zip(people[:5], BEFORE, AFTER, strict=True):
        pulse(person, days(-2), belonging=b)
        pulse(person, days(70), belonging=a)
    pulse(people[5], days(-2), belonging=5)
    job(days(71))
    first = read(world, peers, days(71))
    assert first.number("wellbeing", "Belonging", "n") == 5
    assert first.number("wellbeing", "Belonging", "mean_before") == 2.8
    assert first.number("wellbeing", "Belonging", "mean_after") == 4.0

    # The sixth person answers after two months: 5 then 1 (the 3.167 and 3.5).
    pulse(people[5], days(75), belonging=1)
    job(days(76))
    second = read(world, peers, days(76))
    assert second.section("wellbeing") == first.section("wellbeing")
    assert second.get("published", "wellbeing", "at") == first.get("published", "wellbeing", "at")
    n1, n2 = (r.number("wellbeing", "Belonging", "n") for r in (first, second))
    for column, answer in (("mean_before", 5), ("mean_after", 1)):
        m1 = first.number("wellbeing", "Belonging", column)
        m2 = second.number("wellbeing", "Belonging", column)
        assert n1 and n2 and m1 is not None and m2 is not None
        assert round(n2 * m2 - n1 * m1) != answer
    assert "change only once at least 5 more" in second.page

    # Four more start and answer: with the sixth, five new people, so a new publication whose
    # difference from the last is the sum of those five, never one answer.
    pairs(peers, people[6:10], days(10))
    for person in people[6:10]:
        pulse(person, days(8), belonging=3)
        pulse(person, days(85), belonging=4)
    job(days(86))
    third = read(world, peers, days(86))
    assert third.number("wellbeing", "Belonging", "n") == 10
    n3 = 10
    m3 = third.number("wellbeing", "Belonging", "mean_before")
    m1 = first.number("wellbeing", "Belonging", "mean_before")
    assert m3 is not None and m1 is not None
    assert round(n3 * m3 - 5 * m1) == 5 + 4 * 3  # five people's answers together


def test_attack_1_two_programs_that_differ_by_one_person_are_not_both_published(
    world: World,
) -> None:
    first_program, second_program = program(world, "First"), program(world, "Second")
    people = folks(world, 14, "Overlap")
    pairs(first_program, people[:6], DAY0)
    pairs(second_program, people[:8], DAY0)
    for person, b, a in zip(people[:7], [*BEFORE, 4, 5], [*AFTER, 2, 1], strict=True):
        pulse(person, days(-2), belonging=b)
        pulse(person, days(70), belonging=a)
    job(days(71))
    one = read(world, first_program, days(71))
    two = read(world, second_program, days(71))
    # 7 x mean(second) - 6 x mean(first) would be person 7's answer: whichever program the job
    # published first, the other is held back.
    published = [r.number("wellbeing", "Belonging", "n") for r in (one, two)]
    assert sorted(published, key=str) == [6, None] or sorted(published, key=str) == [7, None]
    held_back = one if published[0] is None else two
    assert held_back.number("wellbeing", "Belonging", "mean_after") is None
    assert "Nothing published yet" in held_back.page

    # Five more answer in the second program: the two now differ by at least 5 people.
    pairs(second_program, people[8:14], days(10))
    for person in people[8:13]:
        pulse(person, days(8), belonging=3)
        pulse(person, days(85), belonging=3)
    job(days(86))
    one = read(world, first_program, days(86))
    two = read(world, second_program, days(86))
    n1 = one.number("wellbeing", "Belonging", "n")
    n2 = two.number("wellbeing", "Belonging", "n")
    assert n2 == 12 and n1 in (None, 6)


def test_attack_2_a_mean_beside_the_distribution_does_not_solve_its_hidden_cells(
    world: World,
) -> None:
    peers = program(world)
    people = folks(world, 6, "Distribution")
    pairs(peers, people, DAY0)
    for person, a in zip(people[:5], [4, 4, 4, 4, 5], strict=True):
        pulse(person, days(-2), belonging=3)
        pulse(person, days(70), belonging=a)
    job(days(71))
    reading = read(world, peers, days(71))
    n = reading.number("wellbeing", "Belonging", "n")
    mean_before = reading.number("wellbeing", "Belonging", "mean_before")
    mean_after = reading.number("wellbeing", "Belonging", "mean_after")
    assert n == 5 and mean_after == 4.2 and mean_before is not None
    rows, cols, cells, totals = table(reading, "wellbeing_distribution:belonging")
    assert rows == ["At the start", "After 2+ months"] and cols == ["1", "2", "3", "4", "5"]
    values = [float(c) for c in cols]
    zeros = [0.0] * 5
    found = solutions(
        cells,
        totals,
        [None] * 5,
        [
            ([values, zeros], round(n * mean_before)),
            ([zeros, values], round(n * mean_after)),
        ],
        limit=5,
    )
    truth = {(1, 3): 4, (1, 4): 1}
    assert any(all(f.get(c, v) == v for c, v in truth.items()) for f in found)
    assert recovered_small_cells(found, K) == []
    assert "&lt;5*" in reading.page


def _ended_pairs(world: World, n: int, prefix: str) -> tuple[object, list, list]:
    peers = program(world, prefix)
    people = folks(world, 2 * n, prefix)
    made = pairs(peers, people, DAY0)
    return peers, made, people


def test_attack_3_two_publications_of_the_fit_rating_do_not_give_the_newest_rating(
    world: World,
) -> None:
    peers, made, people = _ended_pairs(world, 6, "Rating")
    for i, rating in enumerate([5, 4, 4, 4, 4]):
        end(made[i], people[2 * i], days(30), rating=rating)
    job(days(31))
    first = read(world, peers, days(31))  # type: ignore[arg-type]
    assert first.number("fit_rating", "average", "1-5") == 4.2
    assert first.number("fit_rating", "ratings", "n") == 5
    # The manager sees the sixth partnership end, then looks again.
    end(made[5], people[10], days(40), rating=1)
    job(days(41))
    second = read(world, peers, days(41))  # type: ignore[arg-type]
    assert second.number("fit_rating", "average", "1-5") == 4.2
    assert second.number("fit_rating", "ratings", "n") == 5
    n1, a1 = 5, 4.2
    n2 = second.number("fit_rating", "ratings", "n")
    a2 = second.number("fit_rating", "average", "1-5")
    assert n2 is not None and a2 is not None
    assert round(n2 * a2 - n1 * a1) != 1


def test_attack_4_two_publications_of_the_nps_do_not_tell_the_new_respondent(
    world: World,
) -> None:
    peers, made, people = _ended_pairs(world, 6, "Survey")
    for partnership, person in zip(made, people[::2], strict=True):
        end(partnership, person, days(30))
    for i, value in enumerate([9, 9, 9, 7, 3]):
        recommend(made[i], people[2 * i], value, days(31))
    job(days(32))
    first = read(world, peers, days(32))  # type: ignore[arg-type]
    assert first.number("closing_survey", "NPS", "score") == 40
    recommend(made[5], people[10], 2, days(35))
    job(days(36))
    second = read(world, peers, days(36))  # type: ignore[arg-type]
    assert second.number("closing_survey", "NPS", "score") == 40
    assert second.section("closing_survey") == first.section("closing_survey")


def test_attack_5_a_table_of_fewer_than_k_people_is_not_shown_at_all(world: World) -> None:
    peers, made, people = _ended_pairs(world, 2, "Few")
    meet(made[0], days(7))
    fit(made[0], people[0], "not_a_fit", days(8))
    end(made[1], people[2], days(20))
    recommend(made[1], people[2], 2, days(21))
    recommend(made[1], people[3], 10, days(21))
    job(days(22))
    reading = read(world, peers, days(22))  # type: ignore[arg-type]
    assert reading.section("fit_check") == []
    assert reading.section("closing_survey") == []
    assert "Still deciding" not in reading.page and "Not a fit" not in reading.page
    assert "Detractors" not in reading.page
    assert reading.page.count("Nothing published yet") >= 2


def test_attack_6_the_funnel_does_not_solve_the_breakdown_by_department(world: World) -> None:
    peers = program(world, "Departments")
    audit, eng, sales = (
        Department.objects.create(organization=world.acme, name=name)
        for name in ("Audit", "Eng", "Sales2")
    )
    audit_pair = pairs(peers, folks(world, 2, "Auditor", audit), DAY0)
    for partnership in pairs(peers, folks(world, 6, "Engineer", eng), DAY0):
        meet(partnership, days(5))
    for partnership in pairs(peers, folks(world, 6, "Seller", sales), DAY0):
        meet(partnership, days(5))
    waiting = folks(world, 1, "Waiting", eng)[0]
    with on(days(1)):
        enrolment_save(
            program=peers,
            person=waiting,
            offers={world.sql.pk: 2},
            seeks={},
            goals="",
            meeting_preference="either",
            capacity=1,
        )
    assert audit_pair
    job(days(10))
    reading = read(world, peers, days(10))
    funnel = {row: int(v) for _, row, _, v, _ in reading.section("funnel") if v}
    enrolled, matched, met = (
        funnel["Enrolled"],
        funnel["Matched"],
        funnel["Held a first check-in"],
    )
    assert (enrolled, matched, met) == (15, 14, 12)
    rows, _, cells, totals = table(reading, "enrolled_by_department")
    assert rows == ["Audit", "Eng", "Sales2"]
    # The reader's column totals come from the funnel, whatever the table hides.
    col_totals: list[int | None] = [enrolled - matched, matched - met, met]
    found = solutions(cells, totals, col_totals, [], limit=enrolled)
    assert found
    audit_row = rows.index("Audit")
    assert any(f.get((audit_row, 1), cells[audit_row][1]) == 2 for f in found)  # the truth
    assert recovered_small_cells(found, K) == []


def test_attack_7_time_to_first_check_in_cadence_and_leavers_show_no_one(
    world: World,
) -> None:
    peers = program(world, "Timing")
    people = folks(world, 10, "Timing")
    made = pairs(peers, people, DAY0)
    for partnership, first in zip(made, [3, 5, 9, 20, 40], strict=True):
        meet(partnership, days(first))
    job(days(45))
    reading = read(world, peers, days(45))
    section = reading.section("time_to_first_checkin")
    assert {r[1] for r in section} <= {"pairs_met", "pairs_not_met", "half_met_within"}
    assert "Median" not in reading.page and "middle half" not in reading.page
    for _, _, cells, _ in [table(reading, "first_checkin_days")]:
        assert all(v is None or v == 0 or v >= K for row in cells for v in row)

    # One pair alone: its weeks are not a diary of its meetings.
    solo = program(world, "Solo")
    pair = pairs(solo, folks(world, 2, "Solo"), DAY0)[0]
    for week in range(6):
        meet(pair, days(7 * week + 2))
    job(days(45))
    reading = read(world, solo, days(45))
    cadence = reading.section("cadence")
    assert cadence and all(value == "" for _, _, _, value, _ in cadence)

    # Retention: one participant left; the page says "fewer than 5", not "1".
    for person in people[:1]:
        person.left_on = days(44)
        person.save(update_fields=["left_on"])
    folks(world, 6, "Never took part")
    job(days(46))
    reading = read(world, peers, days(46))
    assert reading.get("retention", "leavers", "participants") == ""
    assert "1 leavers" not in reading.page


def test_lowering_the_minimum_group_size_does_not_show_what_a_larger_one_hid(
    world: World,
) -> None:
    peers, made, people = _ended_pairs(world, 6, "Threshold")
    for i, answer in enumerate(["good"] * 4 + ["deciding", "not_a_fit"]):
        meet(made[i], days(3))
        fit(made[i], people[2 * i], answer, days(4))
    job(days(5))
    at_five = read(world, peers, days(5))  # type: ignore[arg-type]
    assert [v for _, _, _, v, _ in at_five.section("fit_check")][:3] == ["", "", ""]
    world.acme.min_group_size = 2
    world.acme.save(update_fields=["min_group_size"])
    job(days(6))
    at_two = read(world, peers, days(6))  # type: ignore[arg-type]
    assert at_two.section("fit_check") == at_five.section("fit_check")
    assert at_two.get("published", "minimum group size", "k") == "5"
    assert "the organization's setting is now 2" in at_two.page


def test_raising_the_minimum_group_size_hides_until_checked_again_at_the_new_size(
    world: World,
) -> None:
    peers = program(world)
    people = folks(world, 6, "Raise")
    pairs(peers, people, DAY0)
    for person, b, a in zip(people, [*BEFORE, 3], [*AFTER, 3], strict=True):
        pulse(person, days(-2), belonging=b)
        pulse(person, days(70), belonging=a)
    job(days(71))
    assert read(world, peers, days(71)).number("wellbeing", "Belonging", "n") == 6
    world.acme.min_group_size = 6
    world.acme.save(update_fields=["min_group_size"])
    waiting = read(world, peers, days(71))
    assert waiting.number("wellbeing", "Belonging", "n") is None
    assert "The minimum group size went up" in waiting.page
    job(days(72))
    again = read(world, peers, days(72))
    assert again.number("wellbeing", "Belonging", "n") == 6
    assert again.get("published", "minimum group size", "k") == "6"
    _, _, cells, _ = table(again, "wellbeing_distribution:belonging")
    assert all(v is None or v == 0 or v >= 6 for row in cells for v in row)


def test_a_person_erased_after_publication_does_not_move_the_figures(world: World) -> None:
    peers = program(world)
    people = folks(world, 6, "Erased")
    pairs(peers, people, DAY0)
    for person, b, a in zip(people, [*BEFORE, 3], [*AFTER, 3], strict=True):
        pulse(person, days(-2), belonging=b)
        pulse(person, days(70), belonging=a)
    job(days(71))
    before = read(world, peers, days(71))
    people[0].delete()
    job(days(72))
    after = read(world, peers, days(72))
    assert after.section("wellbeing") == before.section("wellbeing")
