"""What the demo programs say: one program per seed handout, written in our own words.

Pure data, read by `programs.demo`. Each entry is keyed by the organisation's slug and
holds the program's settings, its term (days from today), events (days from the term's
start, local time), resources, how the standard application form is adapted, sample
goals, and the demo's plan for the applicants: which participant numbers end up in a
status other than accepted and, for one-way pairs, who wants to coach or be coached.
"""

from .models import Program, ProgramEvent, Question, Resource

Event, Doc = ProgramEvent.Kind, Resource.Kind
Format, Cadence, Seniority = Program.Format, Program.Cadence, Program.Seniority

# --- One IT: one-way pairs, a coach and a peer from different IT units ------------------

ONE_IT = {
    "program": {
        "name": "One IT Peer Coaching",
        "session_topics": "\n".join(
            [
                "Giving and receiving feedback",
                "Running better meetings",
                "Prioritising work",
                "Working across IT units",
                "Communicating with clients",
            ]
        ),
        "description": (
            "A coach from another IT unit works with a peer on the workplace habits the peer "
            "has chosen to strengthen. Pairs meet at least monthly for about an hour, "
            "starting from the kick-off."
        ),
        "format": Format.ONE_WAY,
        "cadence_days": Cadence.MONTHLY,
        "session_minutes": 60,
        "different_group": True,
        "seniority_rule": Seniority.SIMILAR,
        "weight_roles": 5,
        # The handout: opting out is a written notice to the program team.
        "opt_out_notice_to_team": True,
    },
    "term_days": (-42, 140),
    "events": [
        {
            "kind": Event.KICKOFF,
            "title": "Program kick-off",
            "day": 2,
            "at": (10, 0),
            "minutes": 90,
            "location": "Technology Services building, Training Room 2",
            "description": (
                "Meet your partner, read the agreement through together and put your first "
                "two sessions in the calendar."
            ),
        },
    ],
    "resources": [
        (
            Doc.GUIDE,
            "Keeping confidences, and the one exception",
            "What a peer shares in a session stays between the two of you. The single "
            "exception is something the law or a university policy obliges you to report; "
            "mention it at your first meeting so it never comes as a surprise.\n\n"
            "Coaching here is about how we work. It does not replace counselling: if a "
            "conversation drifts towards something a professional should support, say so "
            "with care and suggest the staff assistance service.\n\n"
            "Either of you may leave the program whenever you need to. A short written note "
            "to the program team is enough; nobody has to argue a reason.",
        ),
        (
            Doc.GUIDE,
            "Who does what in a pair",
            "The coach asks and listens more than they talk, tests the peer's answers so the "
            "peer sees the situation afresh, shares practical techniques when they help, and "
            "is candid without being harsh.\n\n"
            "The peer picks the behaviours to work on, invites the coach to push on them, "
            "tries something new between meetings and reports back honestly on how it went.\n\n"
            "Both keep the focus on work, meet at least monthly and come to the kick-off.",
        ),
    ],
    "form": {
        "group": {
            "label": "Which IT unit do you work in?",
            "help_text": "Your coach or peer will come from a different unit.",
            "options": [
                "Service Desk",
                "Infrastructure",
                "Security",
                "Enterprise Applications",
                "Research Computing",
            ],
        },
        "role_level": ["Director", "Manager", "Technical lead", "Individual contributor"],
        "priorities": [
            "Giving feedback",
            "Prioritising my work",
            "Working with customers",
            "Leading a team",
            "Speaking up in meetings",
            "Handling pressure",
            "Delegating",
            "Technical leadership",
        ],
        "modality": ["In person", "Microsoft Teams", "Over coffee"],
        "time_of_day": True,
        "preferred_role": (
            "A coach guides a peer from another unit; a coachee (the peer) is the one being "
            "coached. Choose both if either suits you."
        ),
    },
    "goals": [
        "Say no to low-priority requests without straining relationships.",
        "Run shorter, more focused team meetings.",
        "Give colleagues direct feedback early instead of letting problems grow.",
        "Prepare to move from hands-on engineering into a lead role.",
        "Stay calm and clear-headed during major incidents.",
        "Explain technical trade-offs to customers who are not technical.",
        "Hand more work to my team and check on it less.",
        "Voice disagreement sooner in planning meetings.",
    ],
    "statuses": {17: "submitted", 18: "waitlist", 19: "decline", 20: "withdraw"},
    # Participant n's preferred role is ROLES[n - 1]: c coach, p coachee (peer), b both.
    # Among those accepted (1-16) nine only want to coach, so two of them wait.
    "roles": "pccbpccpcbpccpccpbpc",
}

# --- WIT: pairs across groups, any role with any role, traits against conflict ---------

WIT = {
    "program": {
        "name": "WIT Peer Coaching",
        "session_topics": "\n".join(
            [
                "Performance goals",
                "Personnel matters",
                "Career development",
                "Mapping a career path",
                "Balancing technical and leadership work",
            ]
        ),
        "description": (
            "Colleagues from different groups coach each other, so each can listen without an "
            "interest in the outcome. Any role may pair with any other. Each pair decides how "
            "often to meet, and the whole group gathers three times this semester."
        ),
        "format": Format.RECIPROCAL,
        "cadence_days": Cadence.PAIR_CHOOSES,
        "session_minutes": 60,
        "different_group": True,
        "seniority_rule": Seniority.DIFFERENT,
        "weight_traits": 8,
        "weight_seniority": 4,
        "weight_preferences": 3,
        "weight_roles": 0,
    },
    "term_days": (-42, 112),
    "events": [
        {
            "kind": Event.GROUP_MEETING,
            "title": "Whole-group meeting 1: getting started",
            "day": 7,
            "at": (12, 0),
            "minutes": 75,
            "location": "Student Union, Lakeview Room",
            "description": "Lunch provided: meet the other pairs and say what you will work on.",
        },
        {
            "kind": Event.GROUP_MEETING,
            "title": "Whole-group meeting 2: listening practice",
            "day": 63,
            "at": (12, 0),
            "minutes": 75,
            "location": "Student Union, Lakeview Room",
            "description": "Short exercises in open questions and active listening, in threes.",
        },
        {
            "kind": Event.GROUP_MEETING,
            "title": "Whole-group meeting 3: looking back on the semester",
            "day": 133,
            "at": (12, 0),
            "minutes": 75,
            "location": "Student Union, Lakeview Room",
            "description": "What worked for your pair, what did not, and what to change next time.",
        },
    ],
    "resources": [
        (
            Doc.GUIDE,
            "What pairs talk about",
            "There is no syllabus. Pairs in earlier rounds have spent their time on the yearly "
            "performance goals each of them writes, on situations with people in their teams "
            "(leave names out and focus on what you can do), and on where their careers are "
            "heading.\n\n"
            "Not sure where to start? Fill in the career map worksheet and bring it along.",
        ),
        (
            Doc.HANDOUT,
            "Career map worksheet",
            "Before your first meeting, take twenty minutes to note:\n\n"
            "1. The parts of your current job that give you energy, and the parts that drain it.\n"
            "2. Two or three roles you can picture yourself in within five years.\n"
            "3. For each, the skills and experience you would still need.\n"
            "4. People who could tell you what those roles are really like.\n\n"
            "Talk your partner through one of the roles and ask them to question it.",
        ),
        (
            Doc.QUESTION_BANK,
            "Open questions to get a conversation going",
            "- What would you like to be different by the end of the semester?\n"
            "- Why does this matter to you now, rather than last year?\n"
            "- When this goes well, what does it look like?\n"
            "- Who else feels it when this goes badly?\n"
            "- What have you tried so far, and what did it teach you?\n"
            "- What is one small thing you could try before we next meet?",
        ),
        (
            Doc.GUIDE,
            "Listen first",
            "The most useful thing a coach does is listen closely. It is tempting to help by "
            "telling a story from your own career, but it rarely helps as much as we hope, "
            "and telling people what to do seldom changes what they do.\n\n"
            "Let your partner talk the issue through, say back what you heard, and ask open "
            "questions that get underneath it: what matters, what is at stake, and what they "
            "are ready to commit to.",
        ),
    ],
    "form": {
        "group": {
            "label": "Which group do you work in?",
            "help_text": "Your partner will come from a different group.",
            "options": [
                "Academic Technology",
                "Enterprise Systems",
                "Networking",
                "Client Services",
                "Information Security",
                "Data and Analytics",
            ],
        },
        "role_level": ["Administrator", "Manager", "Technical lead", "Individual contributor"],
        "role_level_help": (
            "Pairs mix levels on purpose: administrators with technical leads, managers with "
            "people who do not manage."
        ),
        "extra_traits": [
            {
                "label": "How do you usually deal with a disagreement?",
                "scale_low_label": "Raise it straight away",
                "scale_high_label": "Let it settle first",
                "trait_rule": Question.TraitRule.AVOID_BOTH_EXTREME,
            }
        ],
        "priorities": [
            "Performance goals",
            "Personnel issues",
            "Career development",
            "Work-life balance",
            "Leading change",
            "Communication",
            "Technical growth",
        ],
        "modality": ["Over lunch", "Over coffee", "Walking meeting", "Microsoft Teams"],
        "time_of_day": True,
    },
    "goals": [
        "Turn this year's performance goals into something I actually track.",
        "Prepare for a difficult conversation with someone in my team.",
        "Work out whether managing people is the right next step for me.",
        "Build a network outside my own group.",
        "Become more at ease presenting to senior leaders.",
        "Find a sustainable pace after a heavy year.",
    ],
    "statuses": {19: "submitted", 20: "waitlist"},
}

# --- PeerSphere: pairs across two campus communities ------------------------------------

PEERSPHERE_SECTIONS = ("Early years", "Primary", "Secondary")
PEERSPHERE_CAMPUSES = ("Riverside campus", "Hillside campus")
# Alternating campuses, so participants spread evenly over the two communities.
PEERSPHERE_GROUPS = {
    f"{campus.split()[0]} – {section}": campus
    for section in PEERSPHERE_SECTIONS
    for campus in PEERSPHERE_CAMPUSES
}

PEERSPHERE = {
    "program": {
        "name": "PeerSphere Coaching Pairs",
        "session_topics": "\n".join(
            [
                "Settling into a new community",
                "Building a network",
                "Career direction",
                "Communication across cultures",
                "Work and life balance",
            ]
        ),
        "description": (
            "Every member is paired with a counterpart from the other campus. The pair writes "
            "its own agreement (how often, how long, where and by which channel they meet) "
            "and the program closes with a debrief for everyone on its last day."
        ),
        "format": Format.RECIPROCAL,
        "cadence_days": Cadence.PAIR_CHOOSES,
        "session_minutes": 60,
        "different_group": True,
        "cross_community": True,
        "seniority_rule": Seniority.SIMILAR,
        "weight_preferences": 5,
        "weight_traits": 4,
        "weight_roles": 0,
    },
    "term_days": (-42, 130),
    "events": [
        {
            "kind": Event.DEBRIEF,
            "title": "Closing debrief for all pairs",
            "day": 172,  # the term's last day
            "at": (16, 0),
            "minutes": 60,
            "location": "Microsoft Teams (the link arrives the week before)",
            "description": (
                "Everyone meets online to look back on the year and suggest changes for the "
                "next round. Pairs who want to carry on meeting afterwards are welcome to."
            ),
        },
    ],
    "resources": [
        (
            Doc.GUIDE,
            "Topics that stay outside coaching",
            "Keep the conversation on the educational work you share. Do not give advice on "
            "health or mental health, legal or money matters, faith, or marriage: when one "
            "of these comes up, acknowledge it and point your partner to someone qualified.\n\n"
            "If you learn of or suspect harm to a child, recent or long ago, or you are "
            "worried about your partner's health or safety, you must report it. Unsure what "
            "to do? Write to the program's help address and we will guide you.",
        ),
        (
            Doc.GUIDE,
            "Writing your agreement together",
            "Use your first meeting for the agreement. Decide together what confidentiality "
            "means to you, how often and for how long you will meet, which channel you will "
            "use (Teams, WeChat, Zoom or in person) and where, and what happens when one of "
            "you has to cancel.\n\n"
            "Swap contact details and the best times to reach you, agree how often you will "
            "check that the partnership works for both of you (monthly is a good default), "
            "and each write down the one thing you most want from it. Finish with a few "
            "ground rules, then both sign online.",
        ),
        (
            Doc.HANDOUT,
            "Ground-rule ideas",
            "- Bring something to work on to every meeting.\n"
            "- Start and finish on time; give a day's notice when a meeting must move.\n"
            "- Keep what is said between the two of you.\n"
            "- Assume good intent, and ask when something is unclear.\n"
            "- Say so early if the partnership is not working.",
        ),
    ],
    "form": {
        "group": {
            "label": "Which campus and section do you work in?",
            "help_text": "You will be paired with a counterpart from the other campus.",
            "options": list(PEERSPHERE_GROUPS),
            "communities": PEERSPHERE_GROUPS,
        },
        "role_level": ["School leader", "Head of department", "Teacher", "Teaching assistant"],
        "priorities": [
            "Classroom practice",
            "Student wellbeing",
            "Leading a team",
            "Talking with parents",
            "Curriculum planning",
            "Career development",
            "Work-life balance",
        ],
        "modality": ["Microsoft Teams", "WeChat", "Zoom", "In person"],
        "time_of_day": True,
    },
    "goals": [
        "Learn how the other campus runs its parent conferences.",
        "Plan a joint project between my class and one on the other campus.",
        "Grow into my first year as head of department.",
        "Find fresh ways to support students who are falling behind.",
        "Reflect on my early years of teaching with someone outside my school.",
        "Balance a full timetable with a new leadership role.",
    ],
    "statuses": {19: "waitlist", 20: "decline"},
}

# --- ATC: reciprocal pairs, every two weeks, at least 45 minutes each way ---------------

ATC = {
    "program": {
        "name": "ATC Peer Coaching",
        "session_topics": "\n".join(
            [
                "Leading a team",
                "Difficult conversations",
                "Time and energy",
                "Career next steps",
                "Confidence in new responsibilities",
            ]
        ),
        "session_preparation": True,
        "description": (
            "Partners take turns: in each session both receive at least 45 minutes of "
            "coaching, with a clear switch of roles. Sessions happen every two weeks (monthly "
            "at the least), and each one ends with a short review of how the coaching went."
        ),
        "format": Format.RECIPROCAL,
        "cadence_days": Cadence.FORTNIGHTLY,
        "session_minutes": 90,
        "min_minutes_each": 45,
        "different_group": True,
        "seniority_rule": Seniority.SIMILAR,
        "weight_preferences": 5,
        "weight_roles": 0,
    },
    "term_days": (-42, 140),
    "events": [
        {
            "kind": Event.KICKOFF,
            "title": "Cohort kick-off call",
            "day": 1,
            "at": (18, 0),
            "minutes": 90,
            "location": "https://meet.example.org/atc-kick-off",
            "description": (
                "Meet the cohort, hear how the partnerships work, and leave with your "
                "partner's contact details."
            ),
        },
    ],
    "resources": [
        (
            Doc.GUIDE,
            "Your first session: a checklist",
            "1. Talk about confidentiality: what it means to each of you, in your own words.\n"
            "2. Say what you hope to get from the partnership, and which kind of coaching "
            "suits you and which does not.\n"
            "3. Settle the practicalities: how often, at what time, by phone, video or in "
            "person.\n"
            "4. Put the next several sessions in both calendars before you finish.\n"
            "5. Name the goals you want to work on over the coming months.",
        ),
        (
            Doc.GUIDE,
            "Preparing for a session",
            "Spend five minutes before every session on three things: why you want this "
            "session, what you want to leave with, and how you would like your coach to work "
            "with you today.\n\n"
            "Anything can be on the table: a problem at work, a conversation you are "
            "dreading, a plan you want to test, something from home. Arriving prepared is "
            "the biggest single thing you can do to get value from the time.",
        ),
        (
            Doc.QUESTION_BANK,
            "End-of-session review",
            "For the person coached:\n"
            "- Which moment of the session helped you most?\n"
            "- What would you like your coach to do more of, or less of, next time?\n\n"
            "For the coach:\n"
            "- When were you really listening, and when did your attention drift?\n"
            "- What will you try differently in the next session?",
        ),
        (
            Doc.GUIDE,
            "When a partnership is not working",
            "Raise it with your partner first; an honest conversation often fixes it. If it "
            "still does not work, end the partnership early, note what you learned, and ask "
            "the coordinator for a new partner. Nobody is at fault.",
        ),
    ],
    "form": {
        "group": {
            "label": "Which sector is your organisation in?",
            "help_text": "Partners come from different sectors.",
            "options": [
                "Health",
                "Housing",
                "Youth",
                "Environment",
                "Arts and culture",
                "Education",
            ],
        },
        "role_level": ["Chief executive", "Director", "Manager", "Coordinator"],
        "priorities": [
            "Leading a team",
            "Strategy",
            "Fundraising",
            "Difficult conversations",
            "Work-life balance",
            "Managing change",
            "Public speaking",
        ],
        "modality": ["Phone", "Video call", "In person"],
        "time_of_day": True,
    },
    "goals": [
        "Lead my team through a restructure without losing their trust.",
        "Hand over day-to-day work so I have time for strategy.",
        "Prepare for a hard conversation with my board chair.",
        "Build a habit of regular reflection.",
        "Speak to funders with more confidence.",
        "Protect my evenings without dropping commitments.",
    ],
    "statuses": {18: "submitted", 19: "decline", 20: "withdraw"},
}

# --- Power of Peer Coaching: circles of five, monthly for six months -------------------

CIRCLE_MEETINGS = [
    (Event.KICKOFF, "working agreements and first challenges"),
    (Event.GROUP_MEETING, "self-development plans"),
    (Event.GROUP_MEETING, "questions that open things up"),
    (Event.GROUP_MEETING, "telling your story"),
    (Event.GROUP_MEETING, "feedback and accountability"),
    (Event.DEBRIEF, "results and celebration"),
]

CIRCLES = {
    "program": {
        "name": "Peer Coaching Circles",
        "session_topics": "\n".join(
            [
                "Classroom practice",
                "Student engagement",
                "Collaboration with colleagues",
                "Workload",
                "Trying a new approach",
            ]
        ),
        "description": (
            "Circles of five meet once a month for two and a half hours over six months. "
            "Each member brings a challenge and gets an equal slot while the others listen, "
            "ask questions and give feedback. Everyone drafts a self-development plan early "
            "on and reports back on it."
        ),
        "format": Format.CIRCLE,
        "cadence_days": Cadence.MONTHLY,
        "session_minutes": 150,
        "min_minutes_each": 25,
        "circle_size": 5,
        "different_group": True,
        "seniority_rule": Seniority.SIMILAR,
        "weight_goals": 6,
        "weight_preferences": 0,
        "weight_roles": 0,
    },
    "term_days": (-42, 140),
    "events": [
        {
            "kind": kind,
            "title": f"Circle meeting {n} of 6: {topic}",
            "day": 3 + 30 * (n - 1),
            "at": (9, 30),
            "minutes": 150,
            "location": "Community Learning Centre, Room 4",
            "description": "All circles meet at the same time, each at its own table.",
        }
        for n, (kind, topic) in enumerate(CIRCLE_MEETINGS, start=1)
    ],
    "resources": [
        (
            Doc.QUESTION_BANK,
            "Questions that open things up",
            "- How will you know this challenge is behind you?\n"
            "- What would you need to start, or stop, doing?\n"
            "- Where do you want the circle to push you?\n"
            "- What help will you ask for, and from whom?\n"
            "- Of everything here, what matters most?\n"
            "- What gets in the way?\n"
            "- How will you choose between the options?\n"
            "- Who else feels the effect of this challenge?",
        ),
        (
            Doc.GUIDE,
            "Your self-development plan",
            "Write one goal for the six months in a single sentence. Under it, list three to "
            "five steps, each with a date, and name the support you want from the circle.\n\n"
            "Share the plan at the second meeting and come back to it every month: what "
            "moved, what stalled, and what changes next.",
        ),
        (
            Doc.GUIDE,
            "How a circle meeting runs",
            "Open with a quick round: one sentence each on how you arrive. Then each member "
            "in turn has the same slot, about 25 minutes, to present a challenge, answer the "
            "circle's questions and hear feedback. Close by saying out loud the one action "
            "you will take before next month.\n\n"
            "Working agreements: what is said stays in the circle, and everyone both teaches "
            "and learns.",
        ),
    ],
    "form": {
        "group": {
            "label": "Which service area do you work in?",
            "help_text": "Each circle brings together people from different service areas.",
            "options": [
                "Early learning",
                "Family services",
                "Youth programs",
                "Community health",
                "Adult education",
                "Disability services",
            ],
        },
        "role_level": ["Director", "Program manager", "Team leader", "Practitioner"],
        "priorities": [
            "Leading people",
            "Planning and goals",
            "Managing change",
            "Difficult conversations",
            "Building partnerships",
            "Time and energy",
        ],
        "goals_label": "Which challenge will you bring to your circle?",
    },
    "goals": [
        "Bring a struggling team back together after a difficult year.",
        "Launch a new service with the partners we already have.",
        "Step back from daily operations and lead more strategically.",
        "Resolve a recurring conflict between two members of staff.",
        "Plan my own next career step.",
        "Make our program's results visible to funders.",
    ],
    "statuses": {},
}

# --- Universidad Tres Ríos: a Spanish-speaking organisation, reciprocal pairs of teachers -
# Written in Spanish for the demo organisation whose default language is Spanish; the
# five seed programs above stay English.

TRES_RIOS = {
    "program": {
        "name": "Acompañamiento entre Pares Docentes",
        "session_topics": "\n".join(
            [
                "Planificar una clase",
                "Observar una clase y comentarla",
                "Evaluar con rúbricas",
                "Grupos numerosos",
                "Equilibrio entre docencia e investigación",
            ]
        ),
        "session_preparation": True,
        "description": (
            "Dos docentes de facultades distintas se acompañan durante el semestre: cada "
            "quien visita una clase de la otra persona, la comentan juntos y se turnan para "
            "hacer de coach. Se reúnen cada dos semanas, al menos media hora para cada uno."
        ),
        "format": Format.RECIPROCAL,
        "cadence_days": Cadence.FORTNIGHTLY,
        "session_minutes": 60,
        "min_minutes_each": 30,
        "different_group": True,
        "seniority_rule": Seniority.SIMILAR,
        "weight_preferences": 5,
        "weight_roles": 0,
    },
    "term_days": (-42, 120),
    "events": [
        {
            "kind": Event.KICKOFF,
            "title": "Encuentro de inicio del semestre",
            "day": 2,
            "at": (16, 0),
            "minutes": 90,
            "location": "Centro de Innovación Docente, sala 3",
            "description": (
                "Conoce a tu pareja de coaching, lean juntos el acuerdo y fijen la fecha de "
                "la primera visita de clase."
            ),
        },
        {
            "kind": Event.DEBRIEF,
            "title": "Cierre: lo que aprendimos observándonos",
            "day": 150,
            "at": (16, 0),
            "minutes": 120,
            "location": "Auditorio de la Biblioteca Central",
            "description": (
                "Cada pareja cuenta en cinco minutos un cambio que hizo en sus clases y "
                "proponemos mejoras para el próximo semestre."
            ),
        },
    ],
    "resources": [
        (
            Doc.GUIDE,
            "Cómo visitar la clase de tu colega",
            "Antes de la visita, acuerden en qué se va a fijar quien observa: una sola cosa, "
            "por ejemplo cómo participan los estudiantes del fondo del aula o cuánto tiempo "
            "habla el docente.\n\n"
            "Durante la clase, anota lo que ves y lo que oyes, no lo que opinas. Llega a "
            "tiempo, siéntate donde no distraigas y no intervengas.\n\n"
            "Conversen en los dos días siguientes, mientras la clase está fresca.",
        ),
        (
            Doc.GUIDE,
            "Comentar una clase sin juzgarla",
            "Empieza por preguntar: ¿cómo te sentiste?, ¿qué salió como esperabas? Luego "
            "comparte dos o tres observaciones concretas y pregunta qué le sugieren.\n\n"
            "La idea no es calificar la clase sino ayudar a tu colega a decidir qué quiere "
            "probar la próxima vez. Lo que se dice en estas conversaciones queda entre "
            "ustedes dos.",
        ),
        (
            Doc.QUESTION_BANK,
            "Preguntas para después de la visita",
            "- ¿Qué momento de la clase te gustaría volver a vivir?\n"
            "- ¿Dónde notaste que perdías al grupo?\n"
            "- Si repitieras esta clase mañana, ¿qué cambiarías primero?\n"
            "- ¿Qué necesitas de mí en la próxima visita?",
        ),
    ],
    "form": {
        "group": {
            "label": "¿En qué facultad enseñas?",
            "help_text": "Tu pareja de coaching será de otra facultad.",
            "options": [
                "Ciencias de la Salud",
                "Ingeniería",
                "Humanidades",
                "Ciencias Económicas",
            ],
        },
        "role_level": [
            "Profesor/a titular",
            "Profesor/a asociado/a",
            "Profesor/a asistente",
            "Docente de cátedra",
        ],
        "priorities": [
            "Participación en clase",
            "Evaluación",
            "Grupos numerosos",
            "Docencia en línea",
            "Retroalimentación a estudiantes",
            "Manejo del tiempo",
        ],
        "modality": ["Presencial", "Videollamada"],
        "time_of_day": True,
        "goals_label": "¿Qué quieres mejorar en tu docencia este semestre?",
    },
    "goals": [
        "Que más estudiantes participen en las clases de los lunes a primera hora.",
        "Diseñar una rúbrica que mis estudiantes entiendan antes de entregar.",
        "Dar clases magistrales más cortas y dejar tiempo para practicar.",
        "Devolver los trabajos corregidos en una semana, con comentarios útiles.",
        "Llevar a la virtualidad un curso de laboratorio sin perder la práctica.",
        "Preparar mi primera clase en inglés sin dejar atrás a nadie.",
    ],
    "statuses": {},
}

PROGRAMS = {
    "one-it": ONE_IT,
    "wit": WIT,
    "peersphere": PEERSPHERE,
    "atc": ATC,
    "power-circles": CIRCLES,
    "tres-rios": TRES_RIOS,
}
