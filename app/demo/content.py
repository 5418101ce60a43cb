"""Content of the demo working group, as plain typed data.

Everything here is synthetic: invented people, delegations' inputs and indicator wording,
written in the spirit of the domain brief (shared/BRIEF.md) for demonstrations
and tests. It is not the text of any ASEAN, UNODC or ILO document.

Shapes:

- MEMBER_STATES and BODIES: (code, name) pairs.
- DELEGATIONS: (state code, body code) pairs; a delegation's code is "STATE-BODY",
  e.g. "PH-SOMTC".
- PEOPLE: dicts with email, name, role and the delegation codes the person acts for.
- DIMENSIONS: the six clusters of indicators, in order.
- SECTIONS: the prose sections, each with its revisions (title, text, reason and, optionally,
  delegation and author).
- INDICATORS: each with a stable code, its dimension and its revisions, oldest first. Every
  revision is complete (not a delta). Optional keys: "delegation" (whose input produced it),
  "author" (a PEOPLE email; the Secretariat when absent) and "status" ("withdrawn" on the last
  revision of a withdrawn indicator; "active" otherwise).
"""

from typing import Any

# The 11 ASEAN Member States since 26 October 2025.
MEMBER_STATES: list[tuple[str, str]] = [
    ("BN", "Brunei Darussalam"),
    ("KH", "Cambodia"),
    ("ID", "Indonesia"),
    ("LA", "Lao PDR"),
    ("MY", "Malaysia"),
    ("MM", "Myanmar"),
    ("PH", "Philippines"),
    ("SG", "Singapore"),
    ("TH", "Thailand"),
    ("TL", "Timor-Leste"),
    ("VN", "Viet Nam"),
]

# ASEAN sectoral bodies taking part; the group may add others.
BODIES: list[tuple[str, str]] = [
    ("AICHR", "ASEAN Intergovernmental Commission on Human Rights"),
    ("SOMTC", "ASEAN Senior Officials Meeting on Transnational Crime"),
    (
        "ACWC",
        "ASEAN Commission on the Promotion and Protection of the Rights of Women and Children",
    ),
    (
        "ACMW",
        (
            "ASEAN Committee on the Implementation of the ASEAN Declaration on the "
            "Protection and Promotion of the Rights of Migrant Workers"
        ),
    ),
    ("SOMSWD", "ASEAN Senior Officials Meeting on Social Welfare and Development"),
    ("ASEANAPOL", "ASEAN Chiefs of National Police"),
    (
        "DGICM",
        (
            "ASEAN Directors-General of Immigration Departments and Heads of Consular "
            "Affairs Divisions of the Ministries of Foreign Affairs Meeting"
        ),
    ),
    ("ASLOM", "ASEAN Senior Law Officials Meeting"),
]

# A delegation is a member state speaking through a body.
DELEGATIONS: list[tuple[str, str]] = [
    ("PH", "SOMTC"),
    ("PH", "ACWC"),
    ("ID", "AICHR"),
    ("TH", "SOMTC"),
    ("TH", "AICHR"),
    ("KH", "AICHR"),
    ("VN", "SOMTC"),
    ("MY", "ACMW"),
    ("SG", "ASLOM"),
    ("LA", "SOMSWD"),
    ("TL", "AICHR"),
    ("BN", "DGICM"),
    ("MM", "SOMTC"),
]

# Demo log-ins. Roles: member, secretariat, chair, observer, admin.
PEOPLE: list[dict[str, Any]] = [
    {
        "email": "admin@demo.zerodraft.org",
        "name": "Rizal Hakim",
        "role": "admin",
        "delegations": [],
    },
    {
        "email": "secretariat1@demo.zerodraft.org",
        "name": "Nurul Ain Abdullah",
        "role": "secretariat",
        "delegations": [],
    },
    {
        "email": "secretariat2@demo.zerodraft.org",
        "name": "Tran Minh Chau",
        "role": "secretariat",
        "delegations": [],
    },
    {
        "email": "chair.aichr@demo.zerodraft.org",
        "name": "Dewi Kartika Sari",
        "role": "chair",
        "delegations": ["ID-AICHR"],
    },
    {
        "email": "chair.somtc@demo.zerodraft.org",
        "name": "Maria Consuelo Reyes",
        "role": "chair",
        "delegations": ["PH-SOMTC"],
    },
    {
        "email": "member.ph@demo.zerodraft.org",
        "name": "Jose Antonio Villanueva",
        "role": "member",
        "delegations": ["PH-SOMTC", "PH-ACWC"],
    },
    {
        "email": "member.th@demo.zerodraft.org",
        "name": "Siriporn Chaiyasit",
        "role": "member",
        "delegations": ["TH-SOMTC"],
    },
    {
        "email": "member.th.aichr@demo.zerodraft.org",
        "name": "Pornthip Wongsakul",
        "role": "member",
        "delegations": ["TH-AICHR"],
    },
    {
        "email": "member.kh@demo.zerodraft.org",
        "name": "Sokha Chan",
        "role": "member",
        "delegations": ["KH-AICHR"],
    },
    {
        "email": "member.vn@demo.zerodraft.org",
        "name": "Nguyen Thi Lan",
        "role": "member",
        "delegations": ["VN-SOMTC"],
    },
    {
        "email": "member.my@demo.zerodraft.org",
        "name": "Aisyah binti Rahman",
        "role": "member",
        "delegations": ["MY-ACMW"],
    },
    {
        "email": "member.sg@demo.zerodraft.org",
        "name": "Daniel Tan Wei Ming",
        "role": "member",
        "delegations": ["SG-ASLOM"],
    },
    {
        "email": "member.la@demo.zerodraft.org",
        "name": "Khamphone Souvannavong",
        "role": "member",
        "delegations": ["LA-SOMSWD"],
    },
    {
        "email": "member.tl@demo.zerodraft.org",
        "name": "Ana Maria da Costa",
        "role": "member",
        "delegations": ["TL-AICHR"],
    },
    {
        "email": "member.bn@demo.zerodraft.org",
        "name": "Norhayati binti Haji Ismail",
        "role": "member",
        "delegations": ["BN-DGICM"],
    },
    {
        "email": "member.mm@demo.zerodraft.org",
        "name": "Thandar Aung",
        "role": "member",
        "delegations": ["MM-SOMTC"],
    },
    {
        "email": "observer@demo.zerodraft.org",
        "name": "Ratna Wulandari",
        "role": "observer",
        "delegations": [],
    },
]

# The six dimensions, in the order of the draft.
DIMENSIONS: list[dict[str, str]] = [
    {
        "code": "DR",
        "prefix": "FC-DR",
        "title": "Deceptive recruitment",
        "description": (
            "The person was recruited by deception about the nature of the work, the "
            "employer, the place of work, the conditions or the legality of the "
            "activity."
        ),
    },
    {
        "code": "CR",
        "prefix": "FC-CR",
        "title": "Coercive recruitment",
        "description": (
            "The person was recruited, moved or transferred by force, abduction, "
            "threats or sale, or without control over the journey and their own "
            "documents."
        ),
    },
    {
        "code": "AV",
        "prefix": "FC-AV",
        "title": "Abuse of vulnerability",
        "description": (
            "The recruiter or operators used the person's age, debt, migration "
            "status, disability or other situation that left no real and acceptable "
            "alternative."
        ),
    },
    {
        "code": "EX",
        "prefix": "FC-EX",
        "title": "Compelled criminal activity",
        "description": (
            "The person was made to carry out criminal activities, such as online "
            "fraud, drug offences, theft or begging, for the benefit of others."
        ),
    },
    {
        "code": "CD",
        "prefix": "FC-CD",
        "title": "Control at destination",
        "description": (
            "The person was kept in the situation by confinement, surveillance, "
            "confiscation of documents or phones, debt, violence or threats."
        ),
    },
    {
        "code": "NX",
        "prefix": "FC-NX",
        "title": "Nexus between the offence and the trafficking",
        "description": (
            "The offence the person is suspected of was a direct consequence of the "
            "trafficking situation, which is the link required for the non-punishment "
            "principle."
        ),
    },
]

# Prose sections, in order; revisions oldest first.
SECTIONS: list[dict[str, Any]] = [
    {
        "code": "SEC-PURPOSE",
        "title": "Purpose and scope",
        "revisions": [
            {
                "title": "Purpose and scope",
                "text": (
                    "These Indicators are intended to help practitioners in ASEAN Member "
                    "States identify persons who may have been trafficked for the purpose of "
                    "forced criminality, in particular persons recruited into scam centres "
                    "and compelled to commit online fraud and related offences.\n\n"
                    "The Indicators support the implementation of the ASEAN Guideline on the "
                    "Implementation of the Non-Punishment Principle and of Article 14(7) of "
                    "the ASEAN Convention Against Trafficking in Persons. They apply to "
                    "adults and to children, and to all forms of forced criminality, "
                    "including drug offences, theft and forced begging.\n\n"
                    "The Indicators do not create new legal obligations. They are a practical "
                    "tool to be used alongside national law, national referral mechanisms and "
                    "existing identification procedures."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "title": "Purpose and scope",
                "text": (
                    "These Indicators are intended to assist practitioners in ASEAN Member "
                    "States to identify persons who may have been trafficked for the purpose "
                    "of forced criminality, in particular persons recruited into scam centres "
                    "and compelled to commit online fraud and related offences.\n\n"
                    "The Indicators were prepared by the inter-sectoral Drafting Working "
                    "Group established at the regional consultation held in Jakarta on 30-31 "
                    "October 2025. They support the implementation of the ASEAN Guideline on "
                    "the Implementation of the Non-Punishment Principle and of Article 14(7) "
                    "of the ASEAN Convention Against Trafficking in Persons. They apply to "
                    "adults and to children, and to all forms of forced criminality, "
                    "including drug offences, theft and forced begging.\n\n"
                    "The Indicators do not create new legal obligations. They are a practical "
                    "tool to be used alongside national law, national referral mechanisms and "
                    "existing identification procedures."
                ),
                "reason": (
                    "Editorial: reference to the Jakarta consultation added at the request of "
                    "the Co-Chairs"
                ),
                "delegation": "ID-AICHR",
                "author": "chair.aichr@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "SEC-TERMS",
        "title": "Definitions",
        "revisions": [
            {
                "title": "Definitions",
                "text": (
                    "'Trafficking in persons' has the meaning given in Article 2(a) of the "
                    "ASEAN Convention Against Trafficking in Persons. The consent of a victim "
                    "to the intended exploitation is irrelevant where any of the means set "
                    "out in that Article have been used.\n\n"
                    "'Forced criminality' means the exploitation of a trafficked person by "
                    "compelling them to commit criminal offences, including online fraud, "
                    "drug offences, theft and begging.\n\n"
                    "'Presumed victim' means a person in respect of whom there are reasonable "
                    "grounds to believe that they are a victim of trafficking, pending formal "
                    "identification by the competent authority. 'Child' means any person "
                    "under 18 years of age."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "title": "Definitions",
                "text": (
                    "'Trafficking in persons' has the meaning given in Article 2(a) of the "
                    "ASEAN Convention Against Trafficking in Persons. The consent of a victim "
                    "to the intended exploitation is irrelevant where any of the means set "
                    "out in that Article have been used.\n\n"
                    "'Forced criminality' means the exploitation of a trafficked person by "
                    "compelling them to commit criminal offences, including online fraud, "
                    "drug offences, theft and begging.\n\n"
                    "'Presumed victim' means a person in respect of whom there are reasonable "
                    "grounds to believe that they are a victim of trafficking, pending formal "
                    "identification by the competent authority. 'Child' means any person "
                    "under 18 years of age.\n\n"
                    "'Operators' means the persons who run, manage or guard a scam centre or "
                    "other place where trafficked persons are compelled to commit offences, "
                    "including their recruiters and enforcers."
                ),
                "reason": (
                    "Definition of 'operators' added following TH-SOMTC input at the first "
                    "online meeting"
                ),
                "delegation": "TH-SOMTC",
                "author": "member.th@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "SEC-HOW-TO-USE",
        "title": "How to use the indicators",
        "revisions": [
            {
                "title": "How to use the Indicators",
                "text": (
                    "The Indicators are intended for police, prosecutors, judges, labour "
                    "inspectors and social workers who come into contact with persons "
                    "suspected of offences, persons intercepted at borders and persons "
                    "returned or rescued from scam centres.\n\n"
                    "The Indicators are not a checklist. A single indicator rarely "
                    "establishes trafficking, and the absence of an indicator does not "
                    "exclude it. Practitioners should collect information from several "
                    "sources, including interviews, documents and seized devices, and should "
                    "record which indicators are present and on what information.\n\n"
                    "Interviews should be trauma-informed. Persons returning from scam "
                    "centres may fear prosecution, may have been coached by the operators, "
                    "and may not describe themselves as victims. Children should be "
                    "interviewed by trained staff, with a guardian or support person present."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "title": "How to use the indicators",
                "text": (
                    "The Indicators are intended for police, prosecutors, judges, labour "
                    "inspectors and social workers who come into contact with persons "
                    "suspected of offences, persons intercepted at borders and persons "
                    "returned or rescued from scam centres.\n\n"
                    "The Indicators are not a checklist. A single indicator rarely "
                    "establishes trafficking, and the absence of an indicator does not "
                    "exclude it. Practitioners should collect information from several "
                    "sources, including interviews, documents and seized devices, and should "
                    "record which indicators are present and on what information.\n\n"
                    "Interviews should be trauma-informed and conducted in a language the "
                    "person understands. Persons returning from scam centres may fear "
                    "prosecution, may have been coached by the operators, and may not "
                    "describe themselves as victims. Children should be interviewed by "
                    "trained staff, with a guardian or support person present, and in line "
                    "with the best interests of the child."
                ),
                "reason": (
                    "Trauma-informed guidance expanded (language, best interests of the "
                    "child) following ACWC and SOMSWD comments"
                ),
                "delegation": "PH-ACWC",
                "author": "member.ph@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "SEC-ASSESS",
        "title": "Assessing the indicators",
        "revisions": [
            {
                "title": "Assessing the indicators",
                "text": (
                    "Each indicator has a strength (strong, medium or weak), set separately "
                    "for adults and for children. Contextual indicators do not count towards "
                    "a dimension on their own but help to interpret the others. A dimension "
                    "is positive where there are at least two strong indicators; one strong "
                    "and one medium or weak indicator; three medium indicators; or two medium "
                    "and one weak indicator.\n\n"
                    "An adult is a presumed victim where the assessment is positive for "
                    "recruitment (deceptive recruitment, coercive recruitment or abuse of "
                    "vulnerability), for compelled criminal activity, and for control at "
                    "destination or abuse of vulnerability. For a child, the means are not "
                    "required: a positive assessment for recruitment and for compelled "
                    "criminal activity is sufficient.\n\n"
                    "The assessment identifies presumed victims for referral and protection. "
                    "It is not a legal finding that a person is or is not a victim of "
                    "trafficking, and it does not replace the decision of the competent "
                    "authority. Where the nexus dimension is positive, the person should be "
                    "referred to the prosecutor for consideration of the non-punishment "
                    "principle."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "title": "Assessing the indicators",
                "text": (
                    "Each indicator has a strength (strong, medium or weak), set separately "
                    "for adults and for children. Contextual indicators do not count towards "
                    "a dimension on their own but help to interpret the others. A dimension "
                    "is positive where there are at least two strong indicators; one strong "
                    "and one medium or weak indicator; three medium indicators; or two medium "
                    "and one weak indicator.\n\n"
                    "An adult is a presumed victim where the assessment is positive for "
                    "recruitment (deceptive recruitment, coercive recruitment or abuse of "
                    "vulnerability), for compelled criminal activity, and for control at "
                    "destination or abuse of vulnerability. For a child, the means are not "
                    "required: a positive assessment for recruitment and for compelled "
                    "criminal activity is sufficient.\n\n"
                    "The assessment identifies presumed victims for referral and protection. "
                    "It is not a legal finding that a person is or is not a victim of "
                    "trafficking, and it does not replace the decision of the competent "
                    "authority. Where the nexus dimension is positive, the competent "
                    "authority [shall / should] refer the person to the prosecutor for "
                    "consideration of the non-punishment principle [before any decision to "
                    "charge]."
                ),
                "reason": (
                    "Alternatives bracketed pending consultation: PH-SOMTC proposes 'shall', "
                    "SG-ASLOM proposes 'should'; timing of referral bracketed"
                ),
                "author": "secretariat2@demo.zerodraft.org",
            },
        ],
    },
]

# Indicators grouped by dimension; revisions oldest first.
INDICATORS: list[dict[str, Any]] = [
    {
        "code": "FC-DR-01",
        "dimension": "DR",
        "revisions": [
            {
                "text": (
                    "The person was offered a lawful job abroad, such as customer service, IT "
                    "support or translation, but was told on arrival that the work was to run "
                    "online fraud."
                ),
                "element": "means",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud"],
                "intended_users": ["police", "prosecutor", "labour_inspector", "social_worker"],
                "guidance": (
                    "Ask open questions about what the job offer said and what happened on "
                    "the first working day; keep copies or screenshots of the advertisement. "
                    "Do not suggest answers or imply that the person should have known "
                    "better."
                ),
                "information_sources": (
                    "Victim interview; job advertisement or chat messages with the recruiter; "
                    "employment contract, if any"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; ACTIP Art. 2(a)"
                ),
                "rationale": (
                    "Deception about the nature of the work is the means most often reported "
                    "by persons returned from scam centres in the region."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was offered a legitimate job in another country, such as "
                    "customer service, IT support or translation, but was informed after "
                    "arrival that the work was to commit online fraud or other offences."
                ),
                "element": "means",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "other"],
                "intended_users": ["police", "prosecutor", "labour_inspector", "social_worker"],
                "guidance": (
                    "Ask open questions about what the job offer said and what happened on "
                    "the first working day; keep copies or screenshots of the advertisement. "
                    "Do not suggest answers or imply that the person should have known "
                    "better."
                ),
                "information_sources": (
                    "Victim interview; job advertisement or chat messages with the recruiter; "
                    "employment contract, if any"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; ACTIP Art. 2(a)"
                ),
                "rationale": (
                    "Deception about the nature of the work is the means most often reported "
                    "by persons returned from scam centres in the region."
                ),
                "reason": (
                    "Editorial: align wording with ACTIP definitions and cover offences other "
                    "than online fraud"
                ),
                "delegation": "PH-SOMTC",
                "author": "member.ph@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-DR-02",
        "dimension": "DR",
        "revisions": [
            {
                "text": (
                    "The person was recruited through social media or a messaging "
                    "application, the recruiter paid for the travel, and the route or "
                    "destination was changed during the journey."
                ),
                "element": "act",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "other"],
                "intended_users": ["police", "labour_inspector", "social_worker"],
                "guidance": (
                    "Establish the sequence of the journey: who paid, who met the person at "
                    "each stage, and when the person learned of the real destination. "
                    "Messages on the person's phone may show the original offer."
                ),
                "information_sources": (
                    "Victim interview; travel documents and tickets; messaging history; "
                    "border crossing records"
                ),
                "references": "ILO 2009 operational indicators; UNODC 2023 key indicators",
                "rationale": (
                    "Online recruitment with travel paid in advance and a changed route is a "
                    "recurring pattern in scam-centre cases."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was recruited through social media or a messaging "
                    "application, the recruiter paid for the travel, and the route or "
                    "destination was changed during the journey."
                ),
                "element": "act",
                "strength_adult": "medium",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "other"],
                "intended_users": ["police", "labour_inspector", "social_worker"],
                "guidance": (
                    "Establish the sequence of the journey: who paid, who met the person at "
                    "each stage, and when the person learned of the real destination. "
                    "Messages on the person's phone may show the original offer."
                ),
                "information_sources": (
                    "Victim interview; travel documents and tickets; messaging history; "
                    "border crossing records"
                ),
                "references": "ILO 2009 operational indicators; UNODC 2023 key indicators",
                "rationale": (
                    "Online recruitment with travel paid in advance and a changed route is a "
                    "recurring pattern in scam-centre cases."
                ),
                "reason": (
                    "Strength for children raised following ACWC input at the first online meeting"
                ),
                "delegation": "PH-ACWC",
                "author": "member.ph@demo.zerodraft.org",
            },
            {
                "text": (
                    "The person was recruited through social media, a messaging application "
                    "or an online job platform, the recruiter paid for the travel, and the "
                    "route or destination was changed during the journey."
                ),
                "element": "act",
                "strength_adult": "medium",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "other"],
                "intended_users": ["police", "labour_inspector", "social_worker"],
                "guidance": (
                    "Establish the sequence of the journey: who paid, who met the person at "
                    "each stage, and when the person learned of the real destination. "
                    "Messages on the person's phone may show the original offer."
                ),
                "information_sources": (
                    "Victim interview; travel documents and tickets; messaging history; "
                    "border crossing records"
                ),
                "references": "ILO 2009 operational indicators; UNODC 2023 key indicators",
                "rationale": (
                    "Online recruitment with travel paid in advance and a changed route is a "
                    "recurring pattern in scam-centre cases."
                ),
                "reason": ("Editorial: online job platforms added at the suggestion of MY-ACMW"),
                "delegation": "MY-ACMW",
                "author": "member.my@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-DR-03",
        "dimension": "DR",
        "revisions": [
            {
                "text": (
                    "The person was deceived about the employer, the working conditions, the "
                    "wage or the legality of the work."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "labour_inspector", "social_worker"],
                "guidance": (
                    "Compare what was promised with what the person found; ask about wage, "
                    "hours, employer name and the country of work. Avoid questions that "
                    "suggest the person agreed to illegal work."
                ),
                "information_sources": (
                    "Victim interview; job advertisement; contract; messages with the recruiter"
                ),
                "references": "ILO 2009 operational indicators; ACTIP Art. 2(a)",
                "rationale": (
                    "Deception about conditions is a core means in the ACTIP definition and "
                    "applies across all forms of forced criminality."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was deceived about the identity of the employer, the working "
                    "conditions, the wage or the legality of the work."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "labour_inspector", "social_worker"],
                "guidance": (
                    "Compare what was promised with what the person found; ask about wage, "
                    "hours, employer name and the country of work. Avoid questions that "
                    "suggest the person agreed to illegal work."
                ),
                "information_sources": (
                    "Victim interview; job advertisement; contract; messages with the recruiter"
                ),
                "references": "ILO 2009 operational indicators; ACTIP Art. 2(a)",
                "rationale": (
                    "Deception about conditions is a core means in the ACTIP definition and "
                    "applies across all forms of forced criminality."
                ),
                "reason": (
                    "Editorial: clarify that deception may concern the identity of the employer"
                ),
                "author": "secretariat2@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-DR-04",
        "dimension": "DR",
        "revisions": [
            {
                "text": (
                    "The recruiter was a friend, relative or acquaintance who had been "
                    "recruited earlier and who received a bonus for each new recruit."
                ),
                "element": "act",
                "strength_adult": "weak",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "other"],
                "intended_users": ["police", "prosecutor", "social_worker"],
                "guidance": (
                    "Ask how the person came to know the recruiter and what the recruiter "
                    "said about their own work. The recruiter may also be a victim and should "
                    "be assessed with these Indicators."
                ),
                "information_sources": (
                    "Victim interview; messaging history; statements of other persons from "
                    "the same compound"
                ),
                "references": "UNODC 2023 key indicators; NPP Guideline s. 3",
                "rationale": (
                    "Operators use trusted contacts to recruit, which lowers suspicion and "
                    "explains why victims followed the offer."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The recruiter was a friend, relative or acquaintance who had been "
                    "recruited earlier and who was promised a reward, a lower target or "
                    "release for each new recruit."
                ),
                "element": "act",
                "strength_adult": "weak",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "other"],
                "intended_users": ["police", "prosecutor", "social_worker"],
                "guidance": (
                    "Ask how the person came to know the recruiter and what the recruiter "
                    "said about their own work. The recruiter may also be a victim and should "
                    "be assessed with these Indicators."
                ),
                "information_sources": (
                    "Victim interview; messaging history; statements of other persons from "
                    "the same compound"
                ),
                "references": "UNODC 2023 key indicators; NPP Guideline s. 3",
                "rationale": (
                    "Operators use trusted contacts to recruit, which lowers suspicion and "
                    "explains why victims followed the offer."
                ),
                "reason": (
                    "Replace text: VN-SOMTC proposal reflecting cases where recruiters were "
                    "themselves held in the compound"
                ),
                "delegation": "VN-SOMTC",
                "author": "member.vn@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-CR-01",
        "dimension": "CR",
        "revisions": [
            {
                "text": (
                    "The person was abducted, or was taken across a border against his or her "
                    "will, including after being drugged or threatened."
                ),
                "element": "means",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Let the person describe the journey in their own words before asking for "
                    "details. Memory gaps are common after drugging or violence and do not in "
                    "themselves affect credibility."
                ),
                "information_sources": (
                    "Victim interview; medical examination; statements of witnesses; border "
                    "crossing records"
                ),
                "references": "ILO 2009 operational indicators; ACTIP Art. 2(a)",
                "rationale": (
                    "Abduction and forced transfer are explicit means in the ACTIP definition."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was abducted, or was taken across a border against their "
                    "will, including after being drugged or threatened."
                ),
                "element": "means",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Let the person describe the journey in their own words before asking for "
                    "details. Memory gaps are common after drugging or violence and do not in "
                    "themselves affect credibility."
                ),
                "information_sources": (
                    "Victim interview; medical examination; statements of witnesses; border "
                    "crossing records"
                ),
                "references": "ILO 2009 operational indicators; ACTIP Art. 2(a)",
                "rationale": (
                    "Abduction and forced transfer are explicit means in the ACTIP definition."
                ),
                "reason": "Editorial: gender-neutral wording throughout",
                "author": "secretariat1@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-CR-02",
        "dimension": "CR",
        "revisions": [
            {
                "text": (
                    "The person was sold or transferred between compounds or criminal groups "
                    "in exchange for a payment."
                ),
                "element": "act",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud"],
                "intended_users": ["police", "prosecutor", "judge", "social_worker"],
                "guidance": (
                    "Ask whether the person was moved to another compound, who decided it and "
                    "whether the person was told of a 'price' or 'debt'. Persons may describe "
                    "a sale as a 'transfer of contract'."
                ),
                "information_sources": (
                    "Victim interview; seized devices; statements of other persons from the "
                    "same compound"
                ),
                "references": "UNODC 2023 key indicators; ACTIP Art. 2(a)",
                "rationale": (
                    "Sale of a person between groups shows that the person was treated as "
                    "property and is a strong sign of trafficking."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was sold or transferred between compounds or criminal groups "
                    "in exchange for a payment."
                ),
                "element": "act",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "drug_trafficking"],
                "intended_users": ["police", "prosecutor", "judge", "social_worker"],
                "guidance": (
                    "Ask whether the person was moved to another compound, who decided it and "
                    "whether the person was told of a 'price' or 'debt'. Persons may describe "
                    "a sale as a 'transfer of contract'."
                ),
                "information_sources": (
                    "Victim interview; seized devices; statements of other persons from the "
                    "same compound"
                ),
                "references": "UNODC 2023 key indicators; ACTIP Art. 2(a)",
                "rationale": (
                    "Sale of a person between groups shows that the person was treated as "
                    "property and is a strong sign of trafficking."
                ),
                "reason": (
                    "Change applicability: TH-SOMTC notes that transfers between groups also "
                    "occur in drug trafficking cases"
                ),
                "delegation": "TH-SOMTC",
                "author": "member.th@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-CR-03",
        "dimension": "CR",
        "revisions": [
            {
                "text": (
                    "The person was moved across a border irregularly by the recruiter or "
                    "escorts, often through unofficial crossing points, and without control "
                    "of their own documents."
                ),
                "element": "act",
                "strength_adult": "medium",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "drug_trafficking", "other"],
                "intended_users": ["police", "prosecutor", "social_worker"],
                "guidance": (
                    "Record the route, the crossing points and who held the documents at each "
                    "stage. An irregular crossing should not be treated as evidence against "
                    "the person."
                ),
                "information_sources": (
                    "Victim interview; passport stamps or their absence; border crossing "
                    "records; travel receipts"
                ),
                "references": "UNODC 2023 key indicators; ACTIP Art. 2(a); ACTIP Art. 14(7)",
                "rationale": (
                    "Irregular, escorted crossings keep victims dependent on the operators "
                    "and expose them to immigration offences."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was moved across a border irregularly by the recruiter or "
                    "escorts, often through unofficial crossing points, and without control "
                    "of their own documents."
                ),
                "element": "act",
                "strength_adult": "weak",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "drug_trafficking", "other"],
                "intended_users": ["police", "prosecutor", "social_worker"],
                "guidance": (
                    "Record the route, the crossing points and who held the documents at each "
                    "stage. An irregular crossing should not be treated as evidence against "
                    "the person."
                ),
                "information_sources": (
                    "Victim interview; passport stamps or their absence; border crossing "
                    "records; travel receipts"
                ),
                "references": "UNODC 2023 key indicators; ACTIP Art. 2(a); ACTIP Art. 14(7)",
                "rationale": (
                    "Irregular, escorted crossings keep victims dependent on the operators "
                    "and expose them to immigration offences."
                ),
                "reason": (
                    "Change strength: BN-DGICM notes that irregular crossing is common among "
                    "smuggled migrants who are not trafficked"
                ),
                "delegation": "BN-DGICM",
                "author": "member.bn@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-CR-04",
        "dimension": "CR",
        "revisions": [
            {
                "text": (
                    "Violence or threats of violence were used against the person or their "
                    "family to make them accept the job or the travel."
                ),
                "element": "means",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Ask about threats against family members as well as against the person. "
                    "Do not press for details of violence in a first interview; refer to "
                    "medical and psychosocial support."
                ),
                "information_sources": (
                    "Victim interview; medical examination; messages received by the person "
                    "or their family"
                ),
                "references": "ILO 2009 operational indicators; ACTIP Art. 2(a)",
                "rationale": ("The use of force or threats is a means in the ACTIP definition."),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
        ],
    },
    {
        "code": "FC-AV-01",
        "dimension": "AV",
        "revisions": [
            {
                "text": (
                    "The person was in acute debt or had irregular migration status when "
                    "recruited, and the recruiter knew of it."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "labour_inspector", "social_worker"],
                "guidance": (
                    "Ask about the person's situation before recruitment, including debts and "
                    "migration status, and whether the recruiter mentioned them. Reassure the "
                    "person that the information is collected for their protection."
                ),
                "information_sources": (
                    "Victim interview; loan or debt records; immigration records"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; ACTIP Art. 2(a)"
                ),
                "rationale": (
                    "Abuse of a position of vulnerability is a means in the ACTIP definition; "
                    "recruiters target persons with debts or without status."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was in serious debt, had recently lost their job or had "
                    "irregular migration status when recruited, and the recruiter knew of it."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "labour_inspector", "social_worker"],
                "guidance": (
                    "Ask about the person's situation before recruitment, including debts and "
                    "migration status, and whether the recruiter mentioned them. Reassure the "
                    "person that the information is collected for their protection."
                ),
                "information_sources": (
                    "Victim interview; loan or debt records; immigration records"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; ACTIP Art. 2(a)"
                ),
                "rationale": (
                    "Abuse of a position of vulnerability is a means in the ACTIP definition; "
                    "recruiters target persons with debts or without status."
                ),
                "reason": (
                    "Replace text: MY-ACMW proposal covering migrant workers who lost their jobs"
                ),
                "delegation": "MY-ACMW",
                "author": "member.my@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-AV-02",
        "dimension": "AV",
        "revisions": [
            {
                "text": (
                    "The person was under 18 years of age when recruited, or the recruiter "
                    "disregarded clear signs that the person was a child."
                ),
                "element": "means",
                "strength_adult": "contextual",
                "strength_child": "strong",
                "profiles": ["child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Record the person's stated age and any documents. Refer to child "
                    "protection services as soon as the person may be a child."
                ),
                "information_sources": (
                    "Victim interview; identity documents; school or birth records; age assessment"
                ),
                "references": "ACTIP Art. 2(c); UNODC 2023 key indicators; UN CRC Art. 3",
                "rationale": (
                    "For children no means are required; recording age early ensures that "
                    "child-specific procedures apply."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was under 18 years of age when recruited, or the recruiter "
                    "disregarded clear signs that the person was a child."
                ),
                "element": "means",
                "strength_adult": "contextual",
                "strength_child": "strong",
                "profiles": ["child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Record the person's stated age and any documents. Where age is in doubt, "
                    "treat the person as a child pending an age assessment, and refer to "
                    "child protection services without delay."
                ),
                "information_sources": (
                    "Victim interview; identity documents; school or birth records; age assessment"
                ),
                "references": "ACTIP Art. 2(c); UNODC 2023 key indicators; UN CRC Art. 3",
                "rationale": (
                    "For children no means are required; recording age early ensures that "
                    "child-specific procedures apply."
                ),
                "reason": (
                    "Guidance expanded following ACWC input: presumption of minority where "
                    "age is in doubt"
                ),
                "delegation": "PH-ACWC",
                "author": "member.ph@demo.zerodraft.org",
            },
            {
                "text": (
                    "The person was under 18 years of age when recruited, or the recruiter "
                    "disregarded clear signs that the person was a child."
                ),
                "element": "means",
                "strength_adult": "contextual",
                "strength_child": "strong",
                "profiles": ["child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "prosecutor", "judge", "social_worker"],
                "guidance": (
                    "Record the person's stated age and any documents. Where age is in doubt, "
                    "treat the person as a child pending an age assessment, and refer to "
                    "child protection services without delay."
                ),
                "information_sources": (
                    "Victim interview; identity documents; school or birth records; age assessment"
                ),
                "references": "ACTIP Art. 2(c); UNODC 2023 key indicators; UN CRC Art. 3",
                "rationale": (
                    "For children no means are required; recording age early ensures that "
                    "child-specific procedures apply."
                ),
                "reason": (
                    "Change applicability: labour inspectors removed at the first online "
                    "meeting, as age assessment is outside their mandate"
                ),
                "author": "secretariat1@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-AV-03",
        "dimension": "AV",
        "revisions": [
            {
                "text": (
                    "The person has a disability, a mental health condition or limited "
                    "literacy in the language of the contract, and this was used to recruit "
                    "or control them."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "labour_inspector", "social_worker"],
                "guidance": (
                    "Use an interpreter and simple language; check that the person understood "
                    "the contract and the job offer. Involve a social worker where a "
                    "disability or mental health condition is apparent."
                ),
                "information_sources": (
                    "Victim interview; contract; medical or social welfare records"
                ),
                "references": "ILO 2009 operational indicators; ACTIP Art. 2(a)",
                "rationale": (
                    "Specific vulnerabilities are used by operators to select and keep victims."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person has a disability, a mental health condition or limited "
                    "literacy in the language of the contract, and this was exploited to "
                    "recruit or control them."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "labour_inspector", "social_worker"],
                "guidance": (
                    "Use an interpreter and simple language; check that the person understood "
                    "the contract and the job offer. Involve a social worker where a "
                    "disability or mental health condition is apparent."
                ),
                "information_sources": (
                    "Victim interview; contract; medical or social welfare records"
                ),
                "references": "ILO 2009 operational indicators; ACTIP Art. 2(a)",
                "rationale": (
                    "Specific vulnerabilities are used by operators to select and keep victims."
                ),
                "reason": "Editorial: 'exploited' preferred to 'used' (LA-SOMSWD)",
                "delegation": "LA-SOMSWD",
                "author": "member.la@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-AV-04",
        "dimension": "AV",
        "revisions": [
            {
                "text": (
                    "The person has a low level of education or comes from a poor rural area."
                ),
                "element": "means",
                "strength_adult": "weak",
                "strength_child": "weak",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "labour_inspector", "social_worker"],
                "guidance": (
                    "Ask about the person's schooling and home situation as part of the "
                    "general background, not as a test."
                ),
                "information_sources": "Victim interview; social welfare records",
                "references": "ILO 2009 operational indicators",
                "rationale": (
                    "General socio-economic vulnerability is part of the ILO set of indicators."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person has a low level of education or comes from a poor rural area."
                ),
                "element": "means",
                "strength_adult": "weak",
                "strength_child": "weak",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "labour_inspector", "social_worker"],
                "guidance": (
                    "Ask about the person's schooling and home situation as part of the "
                    "general background, not as a test."
                ),
                "information_sources": "Victim interview; social welfare records",
                "references": "ILO 2009 operational indicators",
                "rationale": (
                    "General socio-economic vulnerability is part of the ILO set of indicators."
                ),
                "reason": (
                    "Withdrawn: KH-AICHR and TL-AICHR consider the indicator stigmatising and "
                    "not specific, as many scam-centre victims are educated; relevant "
                    "situations are covered by FC-AV-01 and FC-AV-03"
                ),
                "delegation": "KH-AICHR",
                "author": "member.kh@demo.zerodraft.org",
                "status": "withdrawn",
            },
        ],
    },
    {
        "code": "FC-EX-01",
        "dimension": "EX",
        "revisions": [
            {
                "text": (
                    "The person was given daily targets, such as a number of contacts or an "
                    "amount of money obtained, and was punished for missing them."
                ),
                "element": "purpose",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud"],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Ask what a normal working day looked like and what happened when targets "
                    "were not met. Records of targets are often found on seized devices or in "
                    "group chats."
                ),
                "information_sources": (
                    "Victim interview; seized devices; group chats; statements of other "
                    "persons from the same compound"
                ),
                "references": "UNODC 2023 key indicators; ACTIP Art. 2(a)",
                "rationale": (
                    "Targets enforced by penalties distinguish compelled criminal activity "
                    "from voluntary participation."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was given daily targets, such as a number of contacts or an "
                    "amount of money obtained, and was penalised by fines, beatings, longer "
                    "hours or resale for missing them."
                ),
                "element": "purpose",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud"],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Ask what a normal working day looked like and what happened when targets "
                    "were not met. Records of targets are often found on seized devices or in "
                    "group chats."
                ),
                "information_sources": (
                    "Victim interview; seized devices; group chats; statements of other "
                    "persons from the same compound"
                ),
                "references": "UNODC 2023 key indicators; ACTIP Art. 2(a)",
                "rationale": (
                    "Targets enforced by penalties distinguish compelled criminal activity "
                    "from voluntary participation."
                ),
                "reason": "Editorial: examples of penalties added (TH-SOMTC)",
                "delegation": "TH-SOMTC",
                "author": "member.th@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-EX-02",
        "dimension": "EX",
        "revisions": [
            {
                "text": (
                    "The person was trained to use scripts, fake profiles or stolen "
                    "identities to deceive victims online."
                ),
                "element": "purpose",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud"],
                "intended_users": ["police", "prosecutor", "judge"],
                "guidance": (
                    "Ask who provided the scripts and accounts and who controlled them. "
                    "Knowledge of the methods does not in itself show willing participation."
                ),
                "information_sources": (
                    "Victim interview; seized devices; training material; account records"
                ),
                "references": "UNODC 2023 key indicators",
                "rationale": (
                    "Organised training shows that the fraud was set up and directed by the "
                    "operators."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was trained to use scripts, fake profiles or stolen "
                    "identities to deceive victims online, for example in romance, investment "
                    "or cryptocurrency scams."
                ),
                "element": "purpose",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud"],
                "intended_users": ["police", "prosecutor", "judge"],
                "guidance": (
                    "Ask who provided the scripts and accounts and who controlled them. "
                    "Knowledge of the methods does not in itself show willing participation."
                ),
                "information_sources": (
                    "Victim interview; seized devices; training material; account records"
                ),
                "references": "UNODC 2023 key indicators",
                "rationale": (
                    "Organised training shows that the fraud was set up and directed by the "
                    "operators."
                ),
                "reason": "Editorial: examples of scam types added",
                "author": "secretariat2@demo.zerodraft.org",
            },
            {
                "text": (
                    "The person was trained to use scripts, fake profiles or stolen "
                    "identities to deceive victims online, for example in romance, investment "
                    "or cryptocurrency scams."
                ),
                "element": "purpose",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud"],
                "intended_users": ["police", "prosecutor", "judge", "social_worker"],
                "guidance": (
                    "Ask who provided the scripts and accounts and who controlled them. "
                    "Knowledge of the methods does not in itself show willing participation."
                ),
                "information_sources": (
                    "Victim interview; seized devices; training material; account records"
                ),
                "references": "UNODC 2023 key indicators",
                "rationale": (
                    "Organised training shows that the fraud was set up and directed by the "
                    "operators."
                ),
                "reason": (
                    "Change applicability: social workers added at the request of LA-SOMSWD"
                ),
                "delegation": "LA-SOMSWD",
                "author": "member.la@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-EX-03",
        "dimension": "EX",
        "revisions": [
            {
                "text": (
                    "The person was forced to carry, sell or produce drugs, or to steal or "
                    "beg, under instruction from the people controlling them."
                ),
                "element": "purpose",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["drug_trafficking", "theft", "begging"],
                "intended_users": ["police", "prosecutor", "social_worker"],
                "guidance": (
                    "Ask who gave the instructions, who kept the proceeds and what would have "
                    "happened if the person refused. Children in forced begging or theft "
                    "should be referred to child protection services."
                ),
                "information_sources": (
                    "Victim interview; arrest records; seized devices; statements of co-accused"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; ACTIP Art. 14(7)"
                ),
                "rationale": (
                    "Forced criminality is not limited to online fraud; drug offences, theft "
                    "and begging are long-standing forms in the region."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was forced to carry, sell or produce drugs, or to steal or "
                    "beg, under instruction from the people controlling them."
                ),
                "element": "purpose",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["drug_trafficking", "theft", "begging"],
                "intended_users": ["police", "prosecutor", "judge", "social_worker"],
                "guidance": (
                    "Ask who gave the instructions, who kept the proceeds and what would have "
                    "happened if the person refused. Children in forced begging or theft "
                    "should be referred to child protection services."
                ),
                "information_sources": (
                    "Victim interview; arrest records; seized devices; statements of co-accused"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; ACTIP Art. 14(7)"
                ),
                "rationale": (
                    "Forced criminality is not limited to online fraud; drug offences, theft "
                    "and begging are long-standing forms in the region."
                ),
                "reason": (
                    "Change applicability: SG-ASLOM proposes adding judges as intended users"
                ),
                "delegation": "SG-ASLOM",
                "author": "member.sg@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-EX-04",
        "dimension": "EX",
        "revisions": [
            {
                "text": (
                    "The person did not receive the promised wage, or the wage was absorbed "
                    "by fines and deductions for food, housing or debts."
                ),
                "element": "purpose",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "drug_trafficking", "other"],
                "intended_users": ["police", "labour_inspector", "social_worker"],
                "guidance": (
                    "Ask what the person was paid, how, and what was deducted. Payment "
                    "records may be held by the operators or in digital wallets."
                ),
                "information_sources": (
                    "Victim interview; payment records; digital wallet records; seized devices"
                ),
                "references": "ILO 2009 operational indicators; UNODC 2023 key indicators",
                "rationale": (
                    "Withheld or absorbed wages show that the activity benefited the "
                    "operators rather than the person."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
        ],
    },
    {
        "code": "FC-CD-01",
        "dimension": "CD",
        "revisions": [
            {
                "text": (
                    "The person was confined to a guarded compound and could leave only "
                    "against payment of a 'fee' or 'compensation'."
                ),
                "element": "means",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud"],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Ask whether the person could leave the compound, under what conditions "
                    "and what happened to those who tried. Photographs and location data may "
                    "confirm the description of the compound."
                ),
                "information_sources": (
                    "Victim interview; location data from devices; photographs; statements of "
                    "other persons from the same compound"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; ACTIP Art. 2(a)"
                ),
                "rationale": (
                    "Confinement with release only on payment is the defining feature of scam "
                    "compounds."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was confined to a guarded compound or building and could "
                    "leave only against payment of a 'fee' or 'compensation'."
                ),
                "element": "means",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud"],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Ask whether the person could leave the compound, under what conditions "
                    "and what happened to those who tried. Photographs and location data may "
                    "confirm the description of the compound."
                ),
                "information_sources": (
                    "Victim interview; location data from devices; photographs; statements of "
                    "other persons from the same compound"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; ACTIP Art. 2(a)"
                ),
                "rationale": (
                    "Confinement with release only on payment is the defining feature of scam "
                    "compounds."
                ),
                "reason": (
                    "Editorial: 'or building' added, as some operations run from hotels and "
                    "apartment blocks (ID-AICHR)"
                ),
                "delegation": "ID-AICHR",
                "author": "chair.aichr@demo.zerodraft.org",
            },
            {
                "text": (
                    "The person was confined to a guarded compound or building and could "
                    "leave only against payment of a ransom described as a fee, debt or "
                    "compensation."
                ),
                "element": "means",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "other"],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Ask whether the person could leave the compound, under what conditions "
                    "and what happened to those who tried. Photographs and location data may "
                    "confirm the description of the compound."
                ),
                "information_sources": (
                    "Victim interview; location data from devices; photographs; statements of "
                    "other persons from the same compound"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; ACTIP Art. 2(a)"
                ),
                "rationale": (
                    "Confinement with release only on payment is the defining feature of scam "
                    "compounds."
                ),
                "reason": (
                    "Replace text: MM-SOMTC proposal; 'ransom' reflects the practice reported "
                    "by returnees"
                ),
                "delegation": "MM-SOMTC",
                "author": "member.mm@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-CD-02",
        "dimension": "CD",
        "revisions": [
            {
                "text": (
                    "The person's passport, identity documents or personal phone were taken "
                    "by the operators."
                ),
                "element": "means",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Ask when and by whom the documents and phone were taken and whether they "
                    "were returned. Taking documents during recruitment is weaker evidence "
                    "than taking them at the destination."
                ),
                "information_sources": (
                    "Victim interview; absence of documents at interception; statements of "
                    "other persons"
                ),
                "references": "ILO 2009 operational indicators; UNODC 2023 key indicators",
                "rationale": (
                    "Confiscation of documents and phones cuts the person off from help and "
                    "prevents escape."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person's passport, identity documents or personal phone were taken "
                    "or withheld by the operators."
                ),
                "element": "means",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Ask when and by whom the documents and phone were taken and whether they "
                    "were returned. Taking documents during recruitment is weaker evidence "
                    "than taking them at the destination."
                ),
                "information_sources": (
                    "Victim interview; absence of documents at interception; statements of "
                    "other persons"
                ),
                "references": "ILO 2009 operational indicators; UNODC 2023 key indicators",
                "rationale": (
                    "Confiscation of documents and phones cuts the person off from help and "
                    "prevents escape."
                ),
                "reason": (
                    "Editorial: 'or withheld' added to cover documents held 'for safekeeping'"
                ),
                "author": "secretariat1@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-CD-03",
        "dimension": "CD",
        "revisions": [
            {
                "text": (
                    "The person was threatened with being reported to the police or "
                    "immigration authorities, or with harm to family members."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Explain the person's rights before asking about threats involving the "
                    "authorities; fear of arrest may prevent disclosure."
                ),
                "information_sources": (
                    "Victim interview; messages received by the person or their family"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; NPP Guideline s. 4"
                ),
                "rationale": (
                    "Threats of denunciation exploit the person's fear of punishment, which "
                    "the non-punishment principle seeks to remove."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person was threatened with being reported to the police or "
                    "immigration authorities, or with harm to family members."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": [
                    "police",
                    "prosecutor",
                    "judge",
                    "labour_inspector",
                    "social_worker",
                ],
                "guidance": (
                    "Explain the person's rights before asking about threats involving the "
                    "authorities; fear of arrest may prevent disclosure."
                ),
                "information_sources": (
                    "Victim interview; messages received by the person or their family"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; NPP Guideline s. 4"
                ),
                "rationale": (
                    "Threats of denunciation exploit the person's fear of punishment, which "
                    "the non-punishment principle seeks to remove."
                ),
                "reason": (
                    "Strength for children raised following ACWC input at the first online meeting"
                ),
                "delegation": "PH-ACWC",
                "author": "member.ph@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-CD-04",
        "dimension": "CD",
        "revisions": [
            {
                "text": (
                    "The person's contact with family was monitored or restricted, and their "
                    "movement inside the compound was watched."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "other"],
                "intended_users": ["police", "social_worker"],
                "guidance": (
                    "Ask how often the person could contact family, on whose phone, and "
                    "whether messages were read. Family members may hold messages sent under "
                    "supervision."
                ),
                "information_sources": "Victim interview; family members; messaging history",
                "references": "ILO 2009 operational indicators; UNODC 2023 key indicators",
                "rationale": (
                    "Isolation and surveillance maintain control without constant physical force."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person's contact with family was monitored or restricted, and their "
                    "movement inside the compound was accompanied, watched or recorded."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "other"],
                "intended_users": ["police", "prosecutor", "social_worker"],
                "guidance": (
                    "Ask how often the person could contact family, on whose phone, and "
                    "whether messages were read. Family members may hold messages sent under "
                    "supervision."
                ),
                "information_sources": "Victim interview; family members; messaging history",
                "references": "ILO 2009 operational indicators; UNODC 2023 key indicators",
                "rationale": (
                    "Isolation and surveillance maintain control without constant physical force."
                ),
                "reason": (
                    "Editorial: wording on surveillance expanded; prosecutors added (TH-AICHR)"
                ),
                "delegation": "TH-AICHR",
                "author": "member.th.aichr@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-NX-01",
        "dimension": "NX",
        "revisions": [
            {
                "text": (
                    "The offence was committed while the person was under the control of "
                    "others, as part of tasks assigned to them."
                ),
                "element": "purpose",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "prosecutor", "judge"],
                "guidance": (
                    "Establish when and where the offence was committed and who directed it. "
                    "Screen for this indicator before any decision to charge."
                ),
                "information_sources": (
                    "Victim interview; case file; seized devices; statements of co-accused"
                ),
                "references": "UNODC 2023 key indicators; NPP Guideline s. 3",
                "rationale": (
                    "The non-punishment principle applies where the offence is directly "
                    "linked to the trafficking."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The offence was committed while the person was under the control of "
                    "others, as a direct consequence of tasks they were compelled to perform."
                ),
                "element": "purpose",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "prosecutor", "judge"],
                "guidance": (
                    "Establish when and where the offence was committed and who directed it. "
                    "Screen for this indicator before any decision to charge."
                ),
                "information_sources": (
                    "Victim interview; case file; seized devices; statements of co-accused"
                ),
                "references": "UNODC 2023 key indicators; NPP Guideline s. 3",
                "rationale": (
                    "The non-punishment principle applies where the offence is directly "
                    "linked to the trafficking."
                ),
                "reason": (
                    "Editorial: align with the 'direct consequence' wording of the NPP Guideline"
                ),
                "delegation": "PH-SOMTC",
                "author": "chair.somtc@demo.zerodraft.org",
            },
            {
                "text": (
                    "The offence was committed while the person was under the control of "
                    "others, as a direct consequence of tasks they were compelled to perform."
                ),
                "element": "purpose",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "prosecutor", "judge"],
                "guidance": (
                    "Establish when and where the offence was committed and who directed it. "
                    "Screen for this indicator before any decision to charge."
                ),
                "information_sources": (
                    "Victim interview; case file; seized devices; statements of co-accused"
                ),
                "references": ("UNODC 2023 key indicators; ACTIP Art. 14(7); NPP Guideline s. 3"),
                "rationale": (
                    "The non-punishment principle applies where the offence is directly "
                    "linked to the trafficking."
                ),
                "reason": "Editorial: references completed (ACTIP Art. 14(7))",
                "author": "secretariat2@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-NX-02",
        "dimension": "NX",
        "revisions": [
            {
                "text": (
                    "The person had no real or acceptable alternative but to commit the "
                    "offence, because of threats, confinement or debt."
                ),
                "element": "means",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["prosecutor", "judge"],
                "guidance": (
                    "Consider the situation as the person experienced it, not what an "
                    "outsider would have done. Avoid asking why the person did not escape."
                ),
                "information_sources": (
                    "Victim interview; case file; expert or social worker reports"
                ),
                "references": "ACTIP Art. 2(a); ACTIP Art. 14(7); NPP Guideline s. 3",
                "rationale": (
                    "The absence of any real alternative is the core of compulsion under the "
                    "non-punishment principle."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person had no real and acceptable alternative but to commit the "
                    "offence, because of threats, confinement or debt."
                ),
                "element": "means",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["prosecutor", "judge"],
                "guidance": (
                    "Consider the situation as the person experienced it, not what an "
                    "outsider would have done. Avoid asking why the person did not escape."
                ),
                "information_sources": (
                    "Victim interview; case file; expert or social worker reports"
                ),
                "references": "ACTIP Art. 2(a); ACTIP Art. 14(7); NPP Guideline s. 3",
                "rationale": (
                    "The absence of any real alternative is the core of compulsion under the "
                    "non-punishment principle."
                ),
                "reason": (
                    "Editorial: align with the interpretative note on abuse of a position of "
                    "vulnerability"
                ),
                "author": "secretariat1@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-NX-03",
        "dimension": "NX",
        "revisions": [
            {
                "text": (
                    "The person tried to refuse, escape or report the situation, and was "
                    "punished or stopped."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "prosecutor", "judge", "social_worker"],
                "guidance": (
                    "Ask whether the person tried to leave or ask for help and what happened. "
                    "Do not treat an absence of attempts as consent."
                ),
                "information_sources": (
                    "Victim interview; messages to family or hotlines; medical records"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; NPP Guideline s. 3"
                ),
                "rationale": (
                    "Punished attempts to refuse show that continued offending was not voluntary."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person tried to refuse, escape or report the situation, or sought "
                    "help from the authorities and was returned to the operators, and was "
                    "punished or stopped."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "prosecutor", "judge", "social_worker"],
                "guidance": (
                    "Ask whether the person tried to leave or ask for help and what happened. "
                    "Do not treat an absence of attempts as consent."
                ),
                "information_sources": (
                    "Victim interview; messages to family or hotlines; medical records"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; NPP Guideline s. 3"
                ),
                "rationale": (
                    "Punished attempts to refuse show that continued offending was not voluntary."
                ),
                "reason": (
                    "Replace text: TL-AICHR proposal covering persons returned to the "
                    "operators after seeking help"
                ),
                "delegation": "TL-AICHR",
                "author": "member.tl@demo.zerodraft.org",
            },
            {
                "text": (
                    "The person tried to refuse, escape, report the situation or seek help "
                    "from the authorities, and was punished, stopped or returned to the "
                    "operators."
                ),
                "element": "means",
                "strength_adult": "medium",
                "strength_child": "medium",
                "profiles": ["adult", "child"],
                "crime_types": [
                    "online_fraud",
                    "drug_trafficking",
                    "theft",
                    "begging",
                    "other",
                ],
                "intended_users": ["police", "prosecutor", "judge", "social_worker"],
                "guidance": (
                    "Ask whether the person tried to leave or ask for help and what happened. "
                    "Do not treat an absence of attempts as consent."
                ),
                "information_sources": (
                    "Victim interview; messages to family or hotlines; medical records"
                ),
                "references": (
                    "ILO 2009 operational indicators; UNODC 2023 key indicators; NPP Guideline s. 3"
                ),
                "rationale": (
                    "Punished attempts to refuse show that continued offending was not voluntary."
                ),
                "reason": "Editorial: sentence restructured after the first online meeting",
                "author": "secretariat2@demo.zerodraft.org",
            },
        ],
    },
    {
        "code": "FC-NX-04",
        "dimension": "NX",
        "revisions": [
            {
                "text": (
                    "The person's immigration or document offences, such as illegal entry, "
                    "overstay or use of false documents, resulted from being moved or held by "
                    "the operators."
                ),
                "element": "purpose",
                "strength_adult": "medium",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["other"],
                "intended_users": ["police", "prosecutor", "judge"],
                "guidance": (
                    "Check who arranged the entry and the documents and who held them. Status "
                    "offences should be assessed before any removal or detention decision."
                ),
                "information_sources": ("Immigration records; travel documents; victim interview"),
                "references": ("UNODC 2023 key indicators; ACTIP Art. 14(7); NPP Guideline s. 4"),
                "rationale": (
                    "Victims are often treated as immigration offenders; these offences are "
                    "usually a direct result of the trafficking."
                ),
                "reason": "Zero Draft text prepared by the Secretariat",
            },
            {
                "text": (
                    "The person's immigration or document offences, such as illegal entry, "
                    "overstay or use of false documents, resulted from being moved or held by "
                    "the operators."
                ),
                "element": "purpose",
                "strength_adult": "strong",
                "strength_child": "strong",
                "profiles": ["adult", "child"],
                "crime_types": ["other"],
                "intended_users": ["police", "prosecutor", "judge"],
                "guidance": (
                    "Check who arranged the entry and the documents and who held them. Status "
                    "offences should be assessed before any removal or detention decision."
                ),
                "information_sources": ("Immigration records; travel documents; victim interview"),
                "references": ("UNODC 2023 key indicators; ACTIP Art. 14(7); NPP Guideline s. 4"),
                "rationale": (
                    "Victims are often treated as immigration offenders; these offences are "
                    "usually a direct result of the trafficking."
                ),
                "reason": (
                    "Change strength: ID-AICHR proposes strong for both profiles, as status "
                    "offences are a direct result of the trafficking"
                ),
                "delegation": "ID-AICHR",
                "author": "chair.aichr@demo.zerodraft.org",
            },
        ],
    },
]
