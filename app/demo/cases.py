"""The demo's case studies (issue 21): fictional, anonymised cases written for demonstration and
tests, in the spirit of what practitioners in the region report. No real person or event: no
names, ages and dates as bands only, places as countries or regions.

Each fact is coded against the demo's indicators (app/demo/content.py) by the secretariat; a
case study asking for double coding is coded by its contributor too, in the same words unless
`second` gives that coder another status (the disagreements the agreement figure counts).
Loaded by app/demo/loader.py after the rounds, through the same services as real use.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.cases import service as cases
from app.models import CaseFinding, Role, User
from app.principal import Principal

SECRETARIAT = "secretariat1@demo.zerodraft.org"
# The case studies are entered in the last hours before `now`, after the rounds' story.
ENTERED_BEFORE_NOW = timedelta(hours=12)

# (phase, source, text, [(indicator, status, evidence)])
Fact = tuple[str, str, str, list[tuple[str, str, str]]]

CASES: list[dict[str, Any]] = [
    {
        "title": "Customer-service offer that ended in a guarded scam compound",
        "summary": (
            "A young graduate answered an online advertisement for customer-service work in a "
            "neighbouring country. She was taken across a river border at night to a walled "
            "compound, made to run romance and investment fraud under daily targets, and told "
            "she could leave only if her family paid. She was released in a police operation "
            "and then questioned as a fraud suspect."
        ),
        "profile": "adult",
        "crime_form": "online_scam",
        "age_band": "18-24",
        "nationality": "Viet Nam",
        "place": "Myanmar, Thai border area",
        "period": "2023",
        "outcome": "trafficked_forced_criminality",
        "outcome_reasoning": (
            "Recruitment by deception about the job (FC-DR-01) through social media with the "
            "travel paid (FC-DR-02); irregular crossing under escort; confinement released only "
            "against payment (FC-CD-01), documents taken (FC-CD-02), targets enforced by "
            "punishment (FC-EX-01). The fraud was committed under that control (FC-NX-01): "
            "all three elements are met."
        ),
        "visibility": "group",
        "double_coding": True,
        "contributors": ["member.vn@demo.zerodraft.org"],
        "facts": [
            (
                "recruitment",
                "victim_interview",
                "She answered an advertisement on a social media jobs group for customer-service "
                "work in a neighbouring country, with a monthly salary several times what she "
                "earned at home.",
                [
                    ("FC-DR-02", "present", "advertisement on a social media jobs group"),
                    ("FC-DR-01", "present", "customer-service work"),
                ],
            ),
            (
                "transit",
                "victim_interview",
                "The recruiter paid for her flight. From the airport she was driven for many "
                "hours and taken across a river at night without passing any border post.",
                [
                    ("FC-DR-02", "present", "The recruiter paid for her flight"),
                    (
                        "FC-CR-03",
                        "present",
                        "taken across a river at night without passing any border post",
                    ),
                ],
            ),
            (
                "exploitation",
                "victim_interview",
                "In a walled compound guarded by armed men she was told the job was to build "
                "fake romantic relationships online and persuade people to invest in a "
                "cryptocurrency platform.",
                [
                    ("FC-CD-01", "present", "walled compound guarded by armed men"),
                    ("FC-EX-02", "present", "build fake romantic relationships online"),
                ],
            ),
            (
                "exploitation",
                "ngo_report",
                "Her passport and phone were taken on the first day.",
                [("FC-CD-02", "present", "Her passport and phone were taken")],
            ),
            (
                "exploitation",
                "victim_interview",
                "Workers who missed the daily target of new contacts were fined, made to stand "
                "for hours or beaten.",
                [("FC-EX-01", "present", "missed the daily target of new contacts were fined")],
            ),
            (
                "exploitation",
                "victim_interview",
                "When she asked to leave she was told she owed a debt for her travel and food, "
                "and could go only if her family paid a large sum.",
                [
                    ("FC-CD-01", "present", "could go only if her family paid a large sum"),
                    ("FC-EX-04", "present", "owed a debt for her travel and food"),
                ],
            ),
            (
                "exit",
                "official_record",
                "She was released in a police operation and later questioned as a suspect in "
                "fraud offences committed from the compound.",
                [("FC-NX-01", "present", "fraud offences committed from the compound")],
            ),
            (
                "exit",
                "official_record",
                "She had entered the country without a visa or an entry stamp.",
                [("FC-NX-04", "present", "entered the country without a visa")],
            ),
        ],
        "second": {(6, "FC-EX-04"): "unknown", (8, "FC-NX-04"): "unknown"},
    },
    {
        "title": "IT support job, sold on to a second compound",
        "summary": (
            "A man was offered IT support work abroad by a former classmate. On arrival his "
            "passport was kept, he was trained in investment fraud scripts and, after low "
            "results, sold to another compound. He escaped during a transfer."
        ),
        "profile": "adult",
        "crime_form": "online_scam",
        "age_band": "25-34",
        "nationality": "Philippines",
        "place": "Cambodia",
        "period": "2022",
        "outcome": "trafficked_forced_criminality",
        "outcome_reasoning": (
            "Deceptive recruitment through a peer recruiter (FC-DR-04, FC-DR-01), documents "
            "withheld (FC-CD-02), sale between compounds (FC-CR-02), threats of denunciation "
            "(FC-CD-03) and compelled fraud (FC-EX-02)."
        ),
        "visibility": "group",
        "double_coding": False,
        "contributors": ["member.ph@demo.zerodraft.org"],
        "facts": [
            (
                "recruitment",
                "victim_interview",
                "A former classmate, already working abroad, offered him an IT support job with "
                "free travel and accommodation.",
                [
                    ("FC-DR-04", "present", "A former classmate, already working abroad"),
                    ("FC-DR-01", "present", "offered him an IT support job"),
                ],
            ),
            (
                "transit",
                "official_record",
                "He travelled on a tourist visa and was met at the airport by men who kept his "
                "passport for what they called registration.",
                [("FC-CD-02", "present", "kept his passport")],
            ),
            (
                "exploitation",
                "victim_interview",
                "He was trained to use scripts and fake profiles to contact people about "
                "investment opportunities.",
                [("FC-EX-02", "present", "trained to use scripts and fake profiles")],
            ),
            (
                "exploitation",
                "victim_interview",
                "After two months of low results he was told he had been sold to another "
                "company and was driven to a second compound.",
                [
                    ("FC-CR-02", "present", "he had been sold to another company"),
                    ("FC-EX-01", "present", "After two months of low results"),
                ],
            ),
            (
                "exploitation",
                "ngo_report",
                "His messages to his family were read by a supervisor, and he could leave his "
                "building only with an escort.",
                [("FC-CD-04", "present", "messages to his family were read by a supervisor")],
            ),
            (
                "exploitation",
                "victim_interview",
                "He was told that if he tried to escape he would be handed to the police as an "
                "illegal worker.",
                [("FC-CD-03", "present", "handed to the police as an illegal worker")],
            ),
            (
                "exit",
                "ngo_report",
                "He escaped during a transfer and reached his embassy with help from a local "
                "organisation.",
                [("FC-NX-03", "absent", "")],
            ),
        ],
    },
    {
        "title": "Restaurant job across the border, made to carry methamphetamine",
        "summary": (
            "A girl under 18 was promised restaurant work across the border by an acquaintance "
            "of a relative. She was kept in a house and made to deliver methamphetamine "
            "tablets, under threats against her family, and was arrested and charged."
        ),
        "profile": "child",
        "crime_form": "drug_courier",
        "age_band": "under 18",
        "nationality": "Lao PDR",
        "place": "Thailand, northern border area",
        "period": "2021",
        "outcome": "trafficked_forced_criminality",
        "outcome_reasoning": (
            "A child (FC-AV-02): recruitment and exploitation suffice, no means need be shown. "
            "Deception about the work (FC-DR-01), irregular crossing (FC-CR-03), compelled drug "
            "delivery (FC-EX-03) under threats to her family (FC-CD-03)."
        ),
        "visibility": "group",
        "double_coding": False,
        "contributors": ["member.la@demo.zerodraft.org"],
        "facts": [
            (
                "recruitment",
                "court_file",
                "An acquaintance of a relative promised the girl, then under 18, work in a "
                "restaurant across the border.",
                [
                    ("FC-AV-02", "present", "then under 18"),
                    ("FC-DR-01", "present", "work in a restaurant across the border"),
                ],
            ),
            (
                "transit",
                "court_file",
                "She was taken across the border at an unofficial crossing by motorbike.",
                [("FC-CR-03", "present", "taken across the border at an unofficial crossing")],
            ),
            (
                "exploitation",
                "court_file",
                "Instead of the restaurant she was kept in a house and told to carry packages "
                "of methamphetamine tablets to buyers in the city.",
                [("FC-EX-03", "present", "told to carry packages of methamphetamine tablets")],
            ),
            (
                "exploitation",
                "victim_interview",
                "The man who kept her said her family would be harmed if she refused.",
                [
                    ("FC-CD-03", "present", "her family would be harmed if she refused"),
                    ("FC-CR-04", "present", "her family would be harmed if she refused"),
                ],
            ),
            (
                "exit",
                "official_record",
                "She was arrested with tablets in her bag and charged with drug trafficking.",
                [("FC-NX-01", "present", "arrested with tablets in her bag")],
            ),
            (
                "exit",
                "court_file",
                "The court file records no inquiry into how she came to carry the drugs.",
                [("FC-NX-02", "unknown", "")],
            ),
        ],
    },
    {
        "title": "A debt cleared by one suitcase, then threats",
        "summary": (
            "A woman who had lost her job owed a moneylender more than she could repay. He "
            "offered to clear the debt if she delivered a suitcase across the border; it held "
            "heroin. When she refused a second trip her children were threatened."
        ),
        "profile": "adult",
        "crime_form": "drug_courier",
        "age_band": "35+",
        "nationality": "Malaysia",
        "place": "Thailand, southern border area",
        "period": "2020-2021",
        "outcome": "trafficked_forced_criminality",
        "outcome_reasoning": (
            "Abuse of a known debt (FC-AV-01) and deception about what she carried (no "
            "indicator of the register says it since FC-DR-03 was deleted); compelled transport "
            "of drugs (FC-EX-03) kept up by threats against her children (FC-CR-04) after she "
            "refused (FC-NX-03); no real alternative (FC-NX-02)."
        ),
        "visibility": "group",
        "double_coding": False,
        "contributors": ["member.my@demo.zerodraft.org"],
        "facts": [
            (
                "recruitment",
                "victim_interview",
                "After losing her job she owed a moneylender more than she could repay, and he "
                "knew it.",
                [("FC-AV-01", "present", "owed a moneylender more than she could repay")],
            ),
            (
                "recruitment",
                "victim_interview",
                "The moneylender said the debt would be cleared if she delivered a suitcase "
                "across the border, without saying what it held.",
                [("FC-DR-01", "unknown", "without saying what it held")],
            ),
            (
                "transit",
                "official_record",
                "Customs officers found heroin sewn into the lining of the suitcase.",
                [("FC-EX-03", "present", "heroin sewn into the lining of the suitcase")],
            ),
            (
                "exploitation",
                "victim_interview",
                "When she refused a second trip, two men came to her home and threatened her "
                "children.",
                [
                    ("FC-CR-04", "present", "threatened her children"),
                    ("FC-NX-03", "present", "When she refused a second trip"),
                ],
            ),
            (
                "exit",
                "court_file",
                "She told the court she had carried the suitcase because she feared for her "
                "children.",
                [("FC-NX-02", "present", "because she feared for her children")],
            ),
        ],
    },
    {
        "title": "Paid commission, free to leave: a willing participant",
        "summary": (
            "A man joined an online investment-chat operation through an acquaintance, "
            "knowing what the work was, for a commission on deposits. He kept his passport and "
            "phone, went out on days off and left when he chose to. He was later prosecuted "
            "for his part in the fraud."
        ),
        "profile": "adult",
        "crime_form": "online_scam",
        "age_band": "25-34",
        "nationality": "Thailand",
        "place": "Cambodia",
        "period": "2023",
        "outcome": "exploited_not_trafficked",
        "outcome_reasoning": (
            "Deductions from pay (FC-EX-04) are exploitation, but he knew the nature of the "
            "work (no deception), crossed officially, kept his documents and was free to leave: "
            "no means and no control, so not trafficking. A near-miss the indicators must not "
            "flag."
        ),
        "visibility": "group",
        "double_coding": True,
        "contributors": ["member.th@demo.zerodraft.org"],
        "facts": [
            (
                "recruitment",
                "official_record",
                "He applied through an acquaintance knowing that the work was running online "
                "investment chats, for a commission on each deposit.",
                [
                    (
                        "FC-DR-01",
                        "absent",
                        "knowing that the work was running online investment chats",
                    ),
                ],
            ),
            (
                "transit",
                "official_record",
                "He travelled on his own passport through an official border checkpoint.",
                [
                    ("FC-CR-03", "absent", "through an official border checkpoint"),
                    ("FC-CR-01", "absent", ""),
                ],
            ),
            (
                "exploitation",
                "victim_interview",
                "He worked long shifts and part of his pay was withheld for housing and food.",
                [("FC-EX-04", "present", "part of his pay was withheld for housing and food")],
            ),
            (
                "exploitation",
                "victim_interview",
                "He kept his passport and phone and went out into town on his days off.",
                [
                    ("FC-CD-02", "absent", "He kept his passport and phone"),
                    ("FC-CD-01", "absent", "went out into town on his days off"),
                ],
            ),
            (
                "exit",
                "official_record",
                "He left after four months, when he chose to, and returned home by bus.",
                [("FC-CD-01", "absent", "when he chose to")],
            ),
            (
                "exit",
                "official_record",
                "He was arrested at home months later for his part in the fraud.",
                [("FC-NX-01", "absent", "")],
            ),
        ],
        "second": {(3, "FC-EX-04"): "unknown", (6, "FC-NX-01"): "unknown"},
    },
    {
        "title": "Cocaine in the luggage, little else on file",
        "summary": (
            "A woman was stopped at an airport with cocaine in her luggage. She said a man "
            "she met online had paid her ticket and asked her to bring a bag for a friend. "
            "Nothing on file says how she was recruited or whether she was threatened."
        ),
        "profile": "adult",
        "crime_form": "drug_courier",
        "age_band": "18-24",
        "nationality": "Indonesia",
        "place": "Malaysia",
        "period": "2022",
        "outcome": "insufficient_information",
        "outcome_reasoning": (
            "Online recruitment with the travel paid (FC-DR-02) is a warning sign, but nothing "
            "is known about deception, threats or control; the indicators of means and of the "
            "nexus are unknown. The case shows what screening must report as insufficient "
            "rather than decide."
        ),
        "visibility": "restricted",
        "double_coding": True,
        "contributors": ["member.sg@demo.zerodraft.org"],
        "facts": [
            (
                "exit",
                "official_record",
                "She was stopped at the airport with cocaine in her luggage.",
                [("FC-EX-03", "unknown", ""), ("FC-EX-04", "unknown", "")],
            ),
            (
                "recruitment",
                "official_record",
                "She said a man she met online had paid for the ticket and asked her to bring "
                "a bag for a friend.",
                [("FC-DR-02", "present", "a man she met online had paid for the ticket")],
            ),
            (
                "exit",
                "court_file",
                "No interview on how she was recruited or whether she was threatened is on file.",
                [
                    ("FC-CR-04", "unknown", ""),
                    ("FC-NX-02", "unknown", ""),
                    ("FC-DR-01", "unknown", ""),
                    ("FC-CD-01", "unknown", ""),
                ],
            ),
            (
                "exit",
                "ngo_report",
                "Her phone was seized as evidence and has not been examined.",
                [("FC-CD-04", "unknown", "")],
            ),
            (
                "exit",
                "official_record",
                "She was convicted after a guilty plea, without a lawyer.",
                [("FC-NX-01", "unknown", "")],
            ),
        ],
        "second": {(2, "FC-DR-02"): "unknown"},
    },
    {
        "title": "A boy recruited from his village for shop work",
        "summary": (
            "A boy under 18 was offered shop work by a recruiter who came to his village, moved "
            "under escort, and made to send messages from fake profiles under a quota. He was "
            "never paid and was released when his family paid for his 'training'."
        ),
        "profile": "child",
        "crime_form": "online_scam",
        "age_band": "under 18",
        "nationality": "Myanmar",
        "place": "Lao PDR, northern border area",
        "period": "2022-2023",
        "outcome": "trafficked_forced_criminality",
        "outcome_reasoning": (
            "A child (FC-AV-02) recruited by deception (FC-DR-01), moved under escort "
            "(FC-CR-03) and compelled to defraud (FC-EX-02) under punishment (FC-EX-01); "
            "released only against payment (FC-CD-01)."
        ),
        "visibility": "group",
        "double_coding": False,
        "contributors": ["member.mm@demo.zerodraft.org"],
        "facts": [
            (
                "recruitment",
                "ngo_report",
                "A boy, under 18 at the time, was offered work in a shop by a recruiter who came "
                "to his village.",
                [
                    ("FC-AV-02", "present", "under 18 at the time"),
                    ("FC-DR-01", "present", "offered work in a shop"),
                ],
            ),
            (
                "transit",
                "ngo_report",
                "He was moved by boat and car with a group of other young people, escorted at "
                "each stage.",
                [("FC-CR-03", "present", "escorted at each stage")],
            ),
            (
                "exploitation",
                "victim_interview",
                "He was made to send messages from fake profiles to people abroad, copying "
                "texts a supervisor gave him.",
                [("FC-EX-02", "present", "send messages from fake profiles")],
            ),
            (
                "exploitation",
                "victim_interview",
                "Those who did not reach their quota were locked in a dark room.",
                [
                    ("FC-EX-01", "present", "did not reach their quota were locked in a dark room"),
                    ("FC-CR-04", "present", "locked in a dark room"),
                ],
            ),
            (
                "exploitation",
                "ngo_report",
                "He was never paid.",
                [("FC-EX-04", "present", "never paid")],
            ),
            (
                "exit",
                "ngo_report",
                "He was released after his family paid a sum described as compensation for his "
                "training.",
                [("FC-CD-01", "present", "family paid a sum described as compensation")],
            ),
        ],
    },
    {
        "title": "Chat support for a gaming site: wages late, free to go",
        "summary": (
            "A woman recruited online for customer support at an online gaming company did the "
            "work as advertised. Her wages came late and with deductions; her passport, held "
            "for a visa application, was returned when she asked. She resigned and went home."
        ),
        "profile": "adult",
        "crime_form": "other",
        "age_band": "25-34",
        "nationality": "Cambodia",
        "place": "Philippines",
        "period": "2024",
        "outcome": "exploited_not_trafficked",
        "outcome_reasoning": (
            "Labour exploitation (late and reduced wages, FC-EX-04) without deception about "
            "the work, without control and without any offence committed: not trafficking for "
            "forced criminality."
        ),
        "visibility": "group",
        "double_coding": False,
        "contributors": ["member.kh@demo.zerodraft.org"],
        "facts": [
            (
                "recruitment",
                "victim_interview",
                "She was recruited through an online job platform for customer support at an "
                "online gaming company.",
                [("FC-DR-01", "absent", "customer support at an online gaming company")],
            ),
            (
                "exploitation",
                "victim_interview",
                "The work was answering players' questions in chat, as advertised, in an office "
                "in the city.",
                [("FC-EX-02", "absent", "as advertised")],
            ),
            (
                "exploitation",
                "victim_interview",
                "Her first two months' wages were paid late and with unexplained deductions.",
                [("FC-EX-04", "present", "paid late and with unexplained deductions")],
            ),
            (
                "exploitation",
                "ngo_report",
                "The employer held her passport for a visa application and returned it when she "
                "asked.",
                [("FC-CD-02", "absent", "returned it when she asked")],
            ),
            (
                "exit",
                "victim_interview",
                "She resigned, was paid what she was owed after a complaint to the labour "
                "office, and went home.",
                [("FC-CD-01", "absent", "went home")],
            ),
        ],
    },
    {
        "title": "Hotel job offer, a fence, and an escape that failed",
        "summary": (
            "A young man was promised hotel work abroad by an agent who paid his ticket. He "
            "was taken to a fenced compound and told to scam people in his own language; "
            "caught escaping, he was beaten and his debt doubled. He was deported after a raid."
        ),
        "profile": "adult",
        "crime_form": "online_scam",
        "age_band": "18-24",
        "nationality": "Indonesia",
        "place": "Cambodia",
        "period": "2024",
        "outcome": "trafficked_forced_criminality",
        "outcome_reasoning": (
            "Deception (FC-DR-01) with the travel paid (FC-DR-02), confinement (FC-CD-01), "
            "monitored contact (FC-CD-04), compelled fraud (FC-EX-02), an escape punished "
            "(FC-NX-03) and immigration offences caused by being held (FC-NX-04)."
        ),
        "visibility": "restricted",
        "double_coding": False,
        "contributors": ["member.bn@demo.zerodraft.org"],
        "facts": [
            (
                "recruitment",
                "victim_interview",
                "An agent promised him a job in a hotel in another country and paid for his "
                "ticket.",
                [
                    ("FC-DR-01", "present", "promised him a job in a hotel"),
                    ("FC-DR-02", "present", "paid for his ticket"),
                ],
            ),
            (
                "exploitation",
                "victim_interview",
                "On arrival he was taken to a fenced compound and told to scam people in his "
                "own language.",
                [
                    ("FC-CD-01", "present", "taken to a fenced compound"),
                    ("FC-EX-02", "present", "told to scam people in his own language"),
                ],
            ),
            (
                "exploitation",
                "victim_interview",
                "He tried to escape over the fence, was caught and beaten, and his debt was "
                "doubled.",
                [
                    (
                        "FC-NX-03",
                        "present",
                        "tried to escape over the fence, was caught and beaten",
                    ),
                    ("FC-CR-04", "present", "was caught and beaten"),
                    ("FC-EX-04", "present", "his debt was doubled"),
                ],
            ),
            (
                "exploitation",
                "ngo_report",
                "His calls home were made on speaker with a guard listening.",
                [("FC-CD-04", "present", "calls home were made on speaker with a guard listening")],
            ),
            (
                "exit",
                "official_record",
                "He was deported after a raid, having no visa for the country where he was held.",
                [("FC-NX-04", "present", "no visa for the country where he was held")],
            ),
        ],
    },
]


@dataclass(slots=True)
class _Clock:
    now: datetime

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def _principal(session: Session, email: str) -> Principal:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return Principal(user_id=user.id, email=user.email, name=user.name, role=Role(user.role))


def load(session: Session, *, now: datetime, request_id: str) -> None:
    """Enter the demo's case studies, as the secretariat and the contributors would."""
    clock = _Clock((now - ENTERED_BEFORE_NOW).replace(second=0, microsecond=0))
    officer = _principal(session, SECRETARIAT)

    def actor(p: Principal) -> Actor:
        return Actor(p.user_id, None, request_id)

    for entry in CASES:
        case = cases.create(
            session,
            officer,
            actor(officer),
            cases.Details(
                **{
                    k: entry[k]
                    for k in (
                        "title",
                        "summary",
                        "profile",
                        "crime_form",
                        "age_band",
                        "nationality",
                        "place",
                        "period",
                        "outcome",
                        "outcome_reasoning",
                    )
                },
                double_coding=entry["double_coding"],
                contributors=entry["contributors"],
            ),
            now=clock.tick(),
        )
        second = _principal(session, entry["contributors"][0])
        differs: dict[tuple[int, str], str] = entry.get("second", {})
        facts: list[Fact] = entry["facts"]
        for number, (phase, source, text, codings) in enumerate(facts, start=1):
            fact = cases.add_fact(
                session,
                second,
                actor(second),
                case.id,
                text=text,
                phase=phase,
                source=source,
                now=clock.tick(),
            )
            coders = [officer, second] if entry["double_coding"] else [officer]
            for coder in coders:
                for code, status, evidence in codings:
                    if coder is second:
                        status = differs.get((number, code), status)
                    cases.code_fact(
                        session,
                        coder,
                        actor(coder),
                        case.id,
                        fact.id,
                        indicator=code,
                        status=status,
                        evidence=evidence if status == "present" or evidence else "",
                        now=clock.tick(),
                    )
        session.flush()
        # Shared only when nothing the personal-data check found is left open.
        still_open = session.scalar(
            select(CaseFinding.id).where(
                CaseFinding.case_id == case.id,
                CaseFinding.resolved_at.is_(None),
                CaseFinding.dismissed_at.is_(None),
            )
        )
        if entry["visibility"] == "group" and still_open is None:
            cases.update(
                session,
                officer,
                actor(officer),
                case.id,
                cases.Details(visibility="group"),
                expected_version=case.version,
                now=clock.tick(),
            )
