"""What the demo generator draws from: names, clinic brands, streets, bios, rates and sizes."""
from __future__ import annotations





# --------------------------------------------------------------------------
# Vocabulary of the generator
# --------------------------------------------------------------------------

# Every practitioner's surname and (usually) first name come from one origin;
# the origin's language is then likelier among the languages they consult in.
# origin: (weight, language code or None, first names, last names)
NAME_ORIGINS: dict[str, tuple[float, str | None, tuple[str, ...], tuple[str, ...]]] = {
    "english": (52, None, (
        "James", "Mary", "Michael", "Jennifer", "David", "Sarah", "Robert", "Emily", "John", "Jessica",
        "William", "Ashley", "Christopher", "Amanda", "Daniel", "Megan", "Matthew", "Lauren", "Andrew",
        "Rachel", "Joshua", "Hannah", "Ryan", "Nicole", "Tyler", "Samantha", "Brandon", "Elizabeth",
        "Kevin", "Katherine", "Jason", "Rebecca", "Justin", "Stephanie", "Nathan", "Heather", "Benjamin",
        "Amy", "Aaron", "Melissa", "Zachary", "Allison", "Kyle", "Brittany", "Jacob", "Olivia", "Ethan",
        "Abigail", "Logan", "Madison", "Caleb", "Chloe", "Noah", "Grace", "Dylan", "Claire", "Marcus",
        "Jasmine", "Darnell", "Imani", "Terrence", "Aaliyah", "Andre", "Keisha", "Jamal", "Tiana",
        "Malik", "Ebony", "Connor", "Molly",
    ), (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
        "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis",
        "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams",
        "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker",
        "Evans", "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan",
        "Cooper", "Peterson", "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson",
        "Wood", "Watson", "Brooks", "Bennett", "Gray", "Hughes", "Price", "Sanders", "Myers", "Long",
        "Foster", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "O'Brien", "Fitzgerald",
        "McCarthy", "Washington", "Jefferson", "Banks", "Coleman",
    )),
    "hispanic": (15, "es", (
        "Carlos", "José", "Luis", "Juan", "Miguel", "Jorge", "Alejandro", "Diego", "Andrés", "Javier",
        "Ricardo", "Fernando", "María", "Sofía", "Lucía", "Isabella", "Valentina", "Camila", "Gabriela",
        "Daniela", "Ana", "Carmen", "Elena", "Rosa", "Mariana", "Adriana", "Alejandra", "Paola",
    ), (
        "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez",
        "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Reyes", "Morales", "Cruz", "Ortiz",
        "Gutiérrez", "Chávez", "Ramos", "Mendoza", "Castillo", "Vargas", "Romero", "Herrera", "Medina",
        "Aguilar",
    )),
    "chinese": (4, "zh", (
        "Wei", "Jing", "Min", "Xiaoming", "Mei", "Yan", "Hui", "Jun", "Lei", "Ying", "Hao", "Xin",
    ), ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Lin", "Xu")),
    "vietnamese": (2, "vi", (
        "Minh", "Linh", "Thanh", "Huong", "Tuan", "Lan", "Duc", "Anh", "Quang", "Thuy", "Hoa",
    ), ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang")),
    "filipino": (2, "tl", (
        "Jericho", "Marisol", "Rodel", "Arnel", "Maricel", "Rowena", "Joy", "Lorna",
    ), ("Dela Cruz", "Bautista", "Villanueva", "Aquino", "Manalo", "Pascual", "Navarro", "Santos")),
    "korean": (2, "ko", (
        "Ji-woo", "Min-jun", "Seo-yeon", "Hyun", "Soo-jin", "Jae", "Eun-ji", "Dong-hyun",
    ), ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon")),
    "russian": (2, "ru", (
        "Dmitri", "Olga", "Sergei", "Natasha", "Alexei", "Irina", "Nikolai", "Svetlana", "Yulia", "Andrei",
    ), ("Ivanov", "Kuznetsov", "Volkov", "Morozov", "Petrov", "Sokolov", "Lebedev", "Novikov")),
    "arabic": (2, "ar", (
        "Omar", "Layla", "Ahmed", "Fatima", "Yusuf", "Nour", "Khalid", "Amira", "Samir", "Rania", "Hassan",
        "Mariam",
    ), ("Haddad", "Khalil", "Nasser", "Mansour", "Saleh", "Farah", "Aziz", "Hamdan", "Rahman")),
    "french": (1, "fr", (
        "Étienne", "Camille", "Julien", "Amélie", "Luc", "Margaux", "Antoine", "Céline",
    ), ("Dubois", "Laurent", "Moreau", "Lefebvre", "Girard", "Fontaine", "Rousseau", "Chevalier")),
    "german": (2, "de", (
        "Lukas", "Greta", "Matthias", "Anja", "Stefan", "Katrin", "Jonas", "Heike",
    ), ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schulz")),
    "portuguese": (1, "pt", (
        "João", "Thiago", "Beatriz", "Larissa", "Rafael", "Fernanda", "Gustavo", "Juliana",
    ), ("Silva", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Ferreira", "Carvalho")),
    "indian": (5, "hi", (
        "Priya", "Rahul", "Anjali", "Vikram", "Neha", "Arjun", "Deepa", "Sanjay", "Kavya", "Rohan",
        "Pooja", "Amit",
    ), ("Patel", "Shah", "Singh", "Kumar", "Sharma", "Gupta", "Reddy", "Iyer", "Mehta", "Desai", "Rao",
        "Joshi")),
    "japanese": (1.5, "ja", (
        "Haruto", "Yuki", "Kenji", "Aiko", "Takashi", "Emi", "Hiroshi", "Naoko",
    ), ("Tanaka", "Suzuki", "Takahashi", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi")),
    "italian": (3, "it", (
        "Giuseppe", "Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Matteo",
    ), ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
        "Greco")),
    "polish": (1.5, "pl", (
        "Krzysztof", "Agnieszka", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Paweł", "Zofia",
    ), ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński",
        "Szymański")),
    "haitian": (1, "ht", (
        "Jean", "Marie-Claire", "Wilner", "Guerline", "Pierre", "Nadège", "Fritz", "Mirlande",
    ), ("Pierre", "Jean-Louis", "Joseph", "Baptiste", "Charles", "Toussaint", "Celestin", "Dorval")),
    "west_african": (2, None, (
        "Chinedu", "Ngozi", "Oluwaseun", "Adaeze", "Kwame", "Abena", "Emeka", "Folake",
    ), ("Okafor", "Adeyemi", "Mensah", "Okonkwo", "Balogun", "Asante", "Eze", "Owusu")),
}

# Clinic kinds: (weight, profession weights, name patterns). {place} is the
# location's city (sometimes "North <city>", ...), {surname}/{surname2} a
# family name, {brand} a word like "Summit".
CLINIC_KINDS: dict[str, tuple[float, dict[str, float], tuple[str, ...]]] = {
    "physical_therapy": (50, {"PT": 90, "ATC": 4, "DC": 2, "NP": 1, "PA": 1}, (
        "{place} Physical Therapy", "{place} Physical Therapy", "{surname} Physical Therapy",
        "{brand} Physical Therapy", "{place} Physical Therapy & Sports Rehab", "{brand} PT & Performance",
        "{surname} & {surname2} Physical Therapy", "{brand} Movement Physical Therapy",
        "{brand} Physical Therapy of {place}",
    )),
    "chiropractic": (20, {"DC": 82, "PT": 10, "LAc": 4, "NP": 2, "ATC": 2}, (
        "{surname} Chiropractic", "{surname} Family Chiropractic", "{place} Chiropractic Center",
        "{brand} Chiropractic & Wellness", "{brand} Spine & Joint", "{place} Spine & Posture",
    )),
    "acupuncture": (8, {"LAc": 85, "DC": 7, "NP": 4, "MD": 4}, (
        "{place} Acupuncture", "{brand} Acupuncture & Herbs", "{surname} Acupuncture Clinic",
        "{brand} Acupuncture & Integrative Care",
    )),
    "sports_medicine": (10, {"PT": 34, "MD": 22, "DO": 16, "ATC": 12, "PA": 9, "NP": 7}, (
        "{brand} Performance Sports Medicine", "{place} Sports Medicine", "{place} Orthopedics & Sports Medicine",
        "{brand} Sports & Spine", "{brand} Sports Medicine Institute",
    )),
    "integrative": (12, {"PT": 32, "DC": 20, "LAc": 14, "MD": 13, "DO": 8, "NP": 9, "PA": 4}, (
        "{place} Integrative Health", "{brand} Wellness Center", "{place} Pain & Wellness",
        "{brand} Integrative Medicine", "{brand} Pain Relief Center",
    )),
}

BRANDS = (
    "Peak", "Summit", "Evergreen", "Harbor", "Cascade", "Pinnacle", "Riverside", "Lakeside", "Keystone",
    "Cornerstone", "Horizon", "Apex", "Catalyst", "Elevate", "Momentum", "Northstar", "True North",
    "Bluebird", "Red Rock", "Sierra", "Prairie", "Magnolia", "Willow", "Cedar", "Aspen", "Ironwood",
    "Bayview", "Meridian", "Kinetic", "Align", "Restore", "Balance", "Thrive", "Optimal", "Core",
    "Precision", "Motion", "Vital", "Endurance", "Legacy", "Heritage", "Liberty", "Pacific", "Atlantic",
    "Gulf Coast", "Mountain View", "Valley", "Metro", "Compass", "Lighthouse", "Oak Tree", "Blue Ridge",
)
COMPASS = ("North", "South", "East", "West", "Downtown", "Uptown")

STREETS = (
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Walnut",
    "Spring", "Center", "Church", "Market", "Broad", "Highland", "Sunset", "Lincoln", "Jefferson",
    "Madison", "Franklin", "Jackson", "River", "Meadow", "Forest", "Ridge", "Mill", "Union", "Chestnut",
    "Willow", "Cherry", "Dogwood", "Magnolia", "Vine", "Commerce", "College", "University", "Academy",
    "1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th", "12th", "14th", "23rd",
)
STREET_TYPES = ("St", "St", "Ave", "Ave", "Blvd", "Rd", "Way", "Dr", "Ln", "Pkwy", "Ct")

# Conditions treated: weight, and how a bio phrases it.
SPECIALTIES: dict[str, tuple[float, str]] = {
    "low-back-pain": (10, "low back pain"),
    "neck-pain": (9, "neck pain"),
    "shoulder-pain": (8, "shoulder pain"),
    "myofascial-pain": (7, "myofascial pain"),
    "sports-injuries": (6, "sports injuries"),
    "headaches": (5, "tension headaches"),
    "hip-pain": (5, "hip pain"),
    "knee-pain": (5, "knee pain"),
    "sciatica": (5, "sciatica"),
    "tendinopathy": (4, "tendinopathy"),
    "arthritis": (3, "arthritis"),
    "plantar-fasciitis": (3, "plantar fasciitis"),
    "tennis-elbow": (3, "tennis elbow"),
    "tmj": (2, "jaw (TMJ) pain"),
    "fibromyalgia": (2, "fibromyalgia"),
}
TECHNIQUES: dict[str, tuple[float, str]] = {
    "deep-dry-needling": (0.75, "deep dry needling"),
    "superficial-dry-needling": (0.40, "superficial dry needling"),
    "electrical-dry-needling": (0.30, "electrical dry needling"),
    "intramuscular-stimulation": (0.10, "intramuscular stimulation"),
}
# Probability of each language besides English and the name origin's language.
LANGUAGE_RATES = {
    "es": 0.15, "zh": 0.01, "vi": 0.006, "tl": 0.006, "ko": 0.005, "ru": 0.006, "ar": 0.005, "fr": 0.012,
    "de": 0.006, "pt": 0.005, "hi": 0.004, "ja": 0.003, "it": 0.004, "pl": 0.003, "ht": 0.002, "asl": 0.006,
}
SPANISH_STATES = {"TX", "CA", "FL", "NM", "AZ", "NV", "CO", "PR"}

PROFESSION_NOUNS = {
    "PT": "physical therapist", "DC": "chiropractor", "MD": "physician", "DO": "osteopathic physician",
    "LAc": "licensed acupuncturist", "ATC": "athletic trainer", "NP": "nurse practitioner",
    "PA": "physician assistant",
}
BIO_TEMPLATES = (
    "{first} is a {noun} who has used dry needling for {years} with patients who have {spec1} and {spec2}.",
    "{first} treats {spec1}, {spec2} and {spec3}, combining {tech} with manual therapy and a home exercise program.",
    "A {noun} focused on {spec1}, {first} uses {tech} to get patients back to work and sport.",
    "{first} sees runners, desk workers and weekend athletes for {spec1} and {spec2}; {tech} is part of most plans.",
    "{first} has practised dry needling for {years} and is especially interested in {spec1}.",
)

# Clinic size: how many practitioners (weights), mean about 5.
CLINIC_SIZES = ((1, 22), (2, 15), (3, 13), (4, 10), (5, 8), (range(6, 11), 20), (range(11, 21), 10), (range(21, 41), 2))
