"""Skills most organizations name, by category: the pickers' starting vocabulary, the category a
skill imported from a file lands in, and the demo's skills."""

from __future__ import annotations

from twoway.people.models import SkillCategory
from twoway.people.vocabulary import skill_key

SKILL_CATALOGUE: dict[str, list[str]] = {
    SkillCategory.TECHNICAL: [
        "SQL",
        "Python",
        "Data analysis",
        "System design",
        "Cloud infrastructure",
        "Security basics",
        "Spreadsheet modelling",
    ],
    SkillCategory.COMMUNICATION: [
        "Public speaking",
        "Writing clearly",
        "Storytelling with data",
        "Negotiation",
        "Difficult conversations",
        "Presenting to executives",
    ],
    SkillCategory.LEADERSHIP: [
        "Executive presence",
        "Giving feedback",
        "Delegation",
        "Coaching others",
        "Running meetings",
        "Managing up",
        "Decision making",
    ],
    SkillCategory.CLIENTS: [
        "Client relationships",
        "Sales discovery",
        "Account planning",
        "Handling objections",
        "Customer empathy",
        "Pricing",
    ],
    SkillCategory.CAREER: [
        "Career planning",
        "Navigating promotions",
        "Networking",
        "Work-life balance",
        "Personal branding",
        "Going back to study",
    ],
    SkillCategory.WAYS_OF_WORKING: [
        "Company culture",
        "Prioritisation",
        "Project management",
        "Product thinking",
        "Remote collaboration",
        "Cross-team collaboration",
        "UX research",
        "Onboarding new teammates",
    ],
}

# The catalogue's category and spelling of each skill by its key: a file's "sql" becomes "SQL".
SKILL_CATEGORY = {skill_key(n): cat for cat, names in SKILL_CATALOGUE.items() for n in names}
SKILL_SPELLING = {skill_key(n): n for names in SKILL_CATALOGUE.values() for n in names}
