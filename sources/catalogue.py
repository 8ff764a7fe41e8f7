"""Data tables of the sample-submission generator: the course catalogue in four languages and the
mixes (weights) that make the generated institutions look like real ones.

Weights are relative, not percentages. Codes are the contract's codes; nothing here is a header.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Course:
    code: str
    area: str  # thematic_area code
    titles: dict[str, str]  # language -> title


_AREA_PREFIX = {
    "PENSIONS": "PEN",
    "HEALTH_SERVICES": "SAL",
    "ACTUARIAL": "ACT",
    "FINANCING_CONTRIBUTIONS": "FIN",
    "OCCUPATIONAL_RISKS": "RIE",
    "SOCIAL_PROTECTION_POLICY": "PSO",
    "ADMINISTRATION_MANAGEMENT": "ADM",
    "IT_DIGITAL": "TIC",
    "LEGAL": "JUR",
    "CUSTOMER_SERVICE": "ATE",
    "OTHER": "GEN",
}

# (en, es, pt, fr) per course. A few titles hold commas, double quotes or a line break on purpose:
# institutions' exports contain them, and CSV quoting must carry them through.
_TITLES: dict[str, list[tuple[str, str, str, str]]] = {
    "PENSIONS": [
        (
            "Pension scheme design and reform",
            "Diseño y reforma de sistemas de pensiones",
            "Desenho e reforma de regimes previdenciários",
            "Conception et réforme des régimes de retraite",
        ),
        (
            "Calculation of old-age, disability and survivors' benefits",
            "Cálculo de prestaciones de vejez, invalidez y sobrevivencia",
            "Cálculo de benefícios de aposentadoria, invalidez e pensão por morte",
            "Calcul des prestations de vieillesse, d'invalidité et de survivants",
        ),
        (
            "Non-contributory pensions: design, financing and evaluation",
            "Pensiones no contributivas: diseño, financiamiento y evaluación",
            "Pensões não contributivas: desenho, financiamento e avaliação",
            "Pensions non contributives : conception, financement et évaluation",
        ),
        (
            "Pension portability and international social security agreements",
            "Portabilidad de pensiones y convenios internacionales de seguridad social",
            "Portabilidade de benefícios e acordos internacionais de previdência social",
            "Portabilité des pensions et conventions internationales de sécurité sociale",
        ),
        (
            "Processing of pension claims and entitlement review",
            "Gestión de solicitudes de pensión y revisión de derechos",
            "Gestão de requerimentos de benefícios e revisão de direitos",
            "Gestion des demandes de pension et révision des droits",
        ),
    ],
    "HEALTH_SERVICES": [
        (
            "Quality and patient safety in health services",
            "Calidad y seguridad del paciente en los servicios de salud",
            "Qualidade e segurança do paciente nos serviços de saúde",
            "Qualité et sécurité des patients dans les services de santé",
        ),
        (
            "Primary health care management",
            "Gestión de la atención primaria de salud",
            "Gestão da atenção primária à saúde",
            "Gestion des soins de santé primaires",
        ),
        (
            "Hospital management and cost control",
            "Gestión hospitalaria y control de costos",
            "Gestão hospitalar e controle de custos",
            "Gestion hospitalière et maîtrise des coûts",
        ),
        (
            "Diploma in social security health services\nModule 2: Health financing",
            "Diplomado en servicios de salud de la seguridad social\nMódulo 2: Financiamiento de la salud",
            "Especialização em saúde na seguridade social\nMódulo 2: Financiamento da saúde",
            "Diplôme en services de santé de la sécurité sociale\nModule 2 : Financement de la santé",
        ),
        (
            "Chronic disease prevention, early detection and follow-up",
            "Prevención, detección temprana y seguimiento de enfermedades crónicas",
            "Prevenção, detecção precoce e acompanhamento de doenças crônicas",
            "Prévention, dépistage précoce et suivi des maladies chroniques",
        ),
    ],
    "ACTUARIAL": [
        (
            "Actuarial valuation of pension schemes",
            "Valuación actuarial de regímenes de pensiones",
            "Avaliação atuarial de regimes previdenciários",
            "Évaluation actuarielle des régimes de retraite",
        ),
        (
            "Demographic projections for social security",
            "Proyecciones demográficas para la seguridad social",
            "Projeções demográficas para a seguridade social",
            "Projections démographiques pour la sécurité sociale",
        ),
        (
            "Actuarial modelling with the ILO/PENSIONS model",
            "Modelación actuarial con el modelo OIT/PENSIONS",
            "Modelagem atuarial com o modelo OIT/PENSIONS",
            "Modélisation actuarielle avec le modèle OIT/PENSIONS",
        ),
        (
            "Mortality tables: construction and use",
            "Tablas de mortalidad: construcción y uso",
            "Tábuas de mortalidade: construção e uso",
            "Tables de mortalité : construction et utilisation",
        ),
        (
            "Actuarial analysis of health insurance",
            "Análisis actuarial de los seguros de salud",
            "Análise atuarial de seguros de saúde",
            "Analyse actuarielle de l'assurance maladie",
        ),
    ],
    "FINANCING_CONTRIBUTIONS": [
        (
            "Social security financing",
            "Financiamiento de la seguridad social",
            "Financiamento da seguridade social",
            "Financement de la sécurité sociale",
        ),
        (
            "Contribution collection and enforcement",
            "Recaudación y fiscalización de cotizaciones",
            "Arrecadação e fiscalização de contribuições",
            "Recouvrement et contrôle des cotisations",
        ),
        (
            "Investment of social security reserves",
            "Inversión de las reservas de la seguridad social",
            "Investimento das reservas da seguridade social",
            "Placement des réserves de la sécurité sociale",
        ),
        (
            "Evasion and arrears: detection, prevention and recovery",
            "Evasión y morosidad: detección, prevención y recuperación",
            "Evasão e inadimplência: detecção, prevenção e recuperação",
            "Évasion et arriérés : détection, prévention et recouvrement",
        ),
        (
            "Budgeting and financial statements of social security institutions",
            "Presupuesto y estados financieros de las instituciones de seguridad social",
            "Orçamento e demonstrações financeiras de instituições previdenciárias",
            "Budget et états financiers des institutions de sécurité sociale",
        ),
    ],
    "OCCUPATIONAL_RISKS": [
        (
            "Occupational risk management",
            "Gestión de riesgos laborales",
            "Gestão de riscos ocupacionais",
            "Gestion des risques professionnels",
        ),
        (
            "Assessment of permanent disability",
            "Valoración de la incapacidad permanente",
            "Avaliação da incapacidade permanente",
            "Évaluation de l'incapacité permanente",
        ),
        (
            "Occupational diseases: diagnosis and recognition",
            "Enfermedades profesionales: diagnóstico y calificación",
            "Doenças ocupacionais: diagnóstico e caracterização",
            "Maladies professionnelles : diagnostic et reconnaissance",
        ),
        (
            "Return to work and vocational rehabilitation",
            "Reincorporación laboral y rehabilitación profesional",
            "Retorno ao trabalho e reabilitação profissional",
            "Retour au travail et réadaptation professionnelle",
        ),
        (
            "Workplace accident investigation",
            "Investigación de accidentes de trabajo",
            "Investigação de acidentes de trabalho",
            "Enquête sur les accidents du travail",
        ),
    ],
    "SOCIAL_PROTECTION_POLICY": [
        (
            "Social protection floors and universal coverage",
            "Pisos de protección social y cobertura universal",
            "Pisos de proteção social e cobertura universal",
            "Socles de protection sociale et couverture universelle",
        ),
        (
            "Extending coverage to informal and self-employed workers",
            "Extensión de la cobertura a trabajadores informales e independientes",
            "Extensão da cobertura a trabalhadores informais e autônomos",
            "Extension de la couverture aux travailleurs informels et indépendants",
        ),
        (
            "ILO Convention No. 102: minimum standards of social security",
            "Convenio núm. 102 de la OIT: norma mínima de seguridad social",
            "Convenção n.º 102 da OIT: normas mínimas de seguridade social",
            "Convention n° 102 de l'OIT : normes minimales de sécurité sociale",
        ),
        (
            "Gender equality in social security",
            "Igualdad de género en la seguridad social",
            "Igualdade de gênero na seguridade social",
            "Égalité de genre dans la sécurité sociale",
        ),
        (
            "Social security and the care economy",
            "Seguridad social y economía del cuidado",
            "Seguridade social e economia do cuidado",
            "Sécurité sociale et économie des soins",
        ),
    ],
    "ADMINISTRATION_MANAGEMENT": [
        (
            "Strategic planning and results-based management",
            "Planificación estratégica y gestión por resultados",
            "Planejamento estratégico e gestão por resultados",
            "Planification stratégique et gestion axée sur les résultats",
        ),
        (
            "Leadership for social security managers",
            "Liderazgo para directivos de la seguridad social",
            "Liderança para gestores da seguridade social",
            "Leadership pour les cadres de la sécurité sociale",
        ),
        (
            'Workshop "Process improvement in benefit administration"',
            'Taller "Mejora de procesos en la administración de prestaciones"',
            'Oficina "Melhoria de processos na gestão de benefícios"',
            'Atelier "Amélioration des processus dans la gestion des prestations"',
        ),
        (
            "Public procurement and contract management",
            "Compras públicas y gestión de contratos",
            "Compras públicas e gestão de contratos",
            "Marchés publics et gestion des contrats",
        ),
        (
            "Human resources management in public institutions",
            "Gestión del talento humano en instituciones públicas",
            "Gestão de pessoas em instituições públicas",
            "Gestion des ressources humaines dans les institutions publiques",
        ),
        (
            "Diploma in social security management\nModule 1: Institutional governance",
            "Diplomado en gerencia de la seguridad social\nMódulo 1: Gobernanza institucional",
            "Especialização em gestão da seguridade social\nMódulo 1: Governança institucional",
            "Diplôme en gestion de la sécurité sociale\nModule 1 : Gouvernance institutionnelle",
        ),
    ],
    "IT_DIGITAL": [
        (
            "Digital transformation of social security services",
            "Transformación digital de los servicios de seguridad social",
            "Transformação digital dos serviços previdenciários",
            "Transformation numérique des services de sécurité sociale",
        ),
        (
            "Information security and personal data protection",
            "Seguridad de la información y protección de datos personales",
            "Segurança da informação e proteção de dados pessoais",
            "Sécurité de l'information et protection des données personnelles",
        ),
        (
            "Data analysis with Python and SQL",
            "Análisis de datos con Python y SQL",
            "Análise de dados com Python e SQL",
            "Analyse de données avec Python et SQL",
        ),
        (
            "Interoperability and electronic registries",
            "Interoperabilidad y registros electrónicos",
            "Interoperabilidade e registros eletrônicos",
            "Interopérabilité et registres électroniques",
        ),
        (
            "Artificial intelligence in social security: uses, risks and governance",
            "Inteligencia artificial en la seguridad social: usos, riesgos y gobernanza",
            "Inteligência artificial na seguridade social: usos, riscos e governança",
            "Intelligence artificielle dans la sécurité sociale : usages, risques et gouvernance",
        ),
    ],
    "LEGAL": [
        (
            "Social security law and case law",
            "Derecho de la seguridad social y jurisprudencia",
            "Direito previdenciário e jurisprudência",
            "Droit de la sécurité sociale et jurisprudence",
        ),
        (
            "Administrative procedure and appeals",
            "Procedimiento administrativo y recursos",
            "Processo administrativo e recursos",
            "Procédure administrative et recours",
        ),
        (
            "Ethics, transparency and anti-corruption in public administration",
            "Ética, transparencia y anticorrupción en la administración pública",
            "Ética, transparência e combate à corrupção na administração pública",
            "Éthique, transparence et lutte contre la corruption dans l'administration publique",
        ),
        (
            "Drafting of regulations and legal opinions",
            "Redacción de normas y dictámenes jurídicos",
            "Redação de normas e pareceres jurídicos",
            "Rédaction de textes réglementaires et d'avis juridiques",
        ),
    ],
    "CUSTOMER_SERVICE": [
        (
            "Customer service in social security offices",
            "Atención al público en oficinas de seguridad social",
            "Atendimento ao público nas agências da previdência social",
            "Accueil du public dans les bureaux de sécurité sociale",
        ),
        (
            'Workshop "Plain language in letters to insured persons"',
            'Taller "Lenguaje claro en la comunicación con el asegurado"',
            'Oficina "Linguagem simples na comunicação com o segurado"',
            'Atelier "Langage clair dans les courriers aux assurés"',
        ),
        (
            "Serving older persons and persons with disabilities",
            "Atención a personas mayores y personas con discapacidad",
            "Atendimento a pessoas idosas e pessoas com deficiência",
            "Accueil des personnes âgées et des personnes handicapées",
        ),
        (
            "Complaint handling and service quality",
            "Gestión de reclamos y calidad del servicio",
            "Gestão de reclamações e qualidade do atendimento",
            "Traitement des réclamations et qualité du service",
        ),
        (
            "Multichannel service: call centre, web and mobile",
            "Atención multicanal: centro de llamadas, web y móvil",
            "Atendimento multicanal: central telefônica, web e celular",
            "Service multicanal : centre d'appels, web et mobile",
        ),
    ],
    "OTHER": [
        (
            "Occupational health and safety for staff",
            "Seguridad y salud en el trabajo para el personal",
            "Saúde e segurança no trabalho para os servidores",
            "Santé et sécurité au travail du personnel",
        ),
        (
            "Effective written communication",
            "Comunicación escrita efectiva",
            "Comunicação escrita eficaz",
            "Communication écrite efficace",
        ),
        (
            "Induction course for new staff",
            "Curso de inducción para personal de nuevo ingreso",
            "Curso de integração para novos servidores",
            "Formation d'accueil des nouveaux agents",
        ),
        (
            "Office tools: advanced spreadsheets",
            "Herramientas ofimáticas: hojas de cálculo avanzadas",
            "Ferramentas de escritório: planilhas avançadas",
            "Outils bureautiques : tableurs avancés",
        ),
    ],
}

COURSES: tuple[Course, ...] = tuple(
    Course(
        code=f"{_AREA_PREFIX[area]}-{101 + number}",
        area=area,
        titles=dict(zip(("en", "es", "pt", "fr"), titles, strict=True)),
    )
    for area, courses in _TITLES.items()
    for number, titles in enumerate(courses)
)

# Which thematic areas an institution trains in, by its branch (the registry's `branch`).
_AREAS_COMMON = {
    "ADMINISTRATION_MANAGEMENT": 12,
    "IT_DIGITAL": 10,
    "CUSTOMER_SERVICE": 9,
    "SOCIAL_PROTECTION_POLICY": 6,
    "LEGAL": 5,
    "OTHER": 6,
}
AREA_MIX: dict[str, dict[str, int]] = {
    "PENSIONS": {**_AREAS_COMMON, "PENSIONS": 22, "ACTUARIAL": 8, "FINANCING_CONTRIBUTIONS": 8},
    "HEALTH": {**_AREAS_COMMON, "HEALTH_SERVICES": 35, "OCCUPATIONAL_RISKS": 4, "FINANCING_CONTRIBUTIONS": 3},
    "HEALTH_AND_PENSIONS": {
        **_AREAS_COMMON,
        "HEALTH_SERVICES": 20,
        "PENSIONS": 12,
        "ACTUARIAL": 4,
        "FINANCING_CONTRIBUTIONS": 5,
        "OCCUPATIONAL_RISKS": 4,
    },
    "OCCUPATIONAL_RISKS": {**_AREAS_COMMON, "OCCUPATIONAL_RISKS": 30, "HEALTH_SERVICES": 6, "ACTUARIAL": 4},
    "CONTRIBUTIONS": {**_AREAS_COMMON, "FINANCING_CONTRIBUTIONS": 30, "IT_DIGITAL": 14, "LEGAL": 8},
    "SUPERVISION": {**_AREAS_COMMON, "LEGAL": 14, "ACTUARIAL": 12, "PENSIONS": 10, "FINANCING_CONTRIBUTIONS": 8},
    "GOVERNANCE": {**_AREAS_COMMON, "SOCIAL_PROTECTION_POLICY": 20, "LEGAL": 12, "PENSIONS": 8},
}

OCCUPATION_MIX: dict[str, dict[str, int]] = {
    "PENSIONS": {
        "ADMINISTRATION": 34,
        "CUSTOMER_SERVICE": 24,
        "ACTUARIAL_FINANCE": 10,
        "IT": 9,
        "LEGAL": 6,
        "MANAGEMENT": 6,
        "HEALTH_PROFESSIONAL": 2,
        "OTHER": 9,
    },
    "HEALTH": {
        "HEALTH_PROFESSIONAL": 56,
        "ADMINISTRATION": 15,
        "CUSTOMER_SERVICE": 7,
        "MANAGEMENT": 4,
        "IT": 3,
        "ACTUARIAL_FINANCE": 2,
        "LEGAL": 2,
        "OTHER": 11,
    },
    "HEALTH_AND_PENSIONS": {
        "HEALTH_PROFESSIONAL": 42,
        "ADMINISTRATION": 20,
        "CUSTOMER_SERVICE": 11,
        "MANAGEMENT": 5,
        "IT": 4,
        "ACTUARIAL_FINANCE": 4,
        "LEGAL": 3,
        "OTHER": 11,
    },
    "OCCUPATIONAL_RISKS": {
        "ADMINISTRATION": 26,
        "HEALTH_PROFESSIONAL": 16,
        "CUSTOMER_SERVICE": 12,
        "LEGAL": 10,
        "ACTUARIAL_FINANCE": 10,
        "IT": 8,
        "MANAGEMENT": 7,
        "OTHER": 11,
    },
    "CONTRIBUTIONS": {
        "ADMINISTRATION": 30,
        "ACTUARIAL_FINANCE": 20,
        "IT": 20,
        "CUSTOMER_SERVICE": 14,
        "LEGAL": 6,
        "MANAGEMENT": 5,
        "OTHER": 5,
    },
    "SUPERVISION": {
        "ADMINISTRATION": 25,
        "LEGAL": 20,
        "ACTUARIAL_FINANCE": 20,
        "MANAGEMENT": 12,
        "IT": 10,
        "OTHER": 13,
    },
    "GOVERNANCE": {
        "ADMINISTRATION": 30,
        "LEGAL": 20,
        "MANAGEMENT": 15,
        "ACTUARIAL_FINANCE": 12,
        "IT": 8,
        "OTHER": 15,
    },
}

# Share of women among staff; health institutions employ more women (nursing, care).
WOMEN_SHARE = {"HEALTH": 0.63, "HEALTH_AND_PENSIONS": 0.58}
WOMEN_SHARE_DEFAULT = 0.52
SEX_X_SHARE = 0.003

EMPLOYMENT_MIX = {"PERMANENT": 80, "TEMPORARY": 13, "CONTRACTOR": 7}
FTE_MIX = {1: 88, 0.5: 7, 0.75: 5}

PROVIDER_MIX = {"IN_HOUSE": 40, "CIESS": 25, "UNIVERSITY": 9, "ISSA": 6, "OISS": 6, "CISS": 5, "ILO": 4, "OTHER": 5}
MODALITY_MIX = {"VIRTUAL": 55, "IN_PERSON": 28, "BLENDED": 17}
ACTIVITIES_PER_PERSON = {1: 60, 2: 28, 3: 12}  # activities of one participant in a quarter
# Statuses of participations in activities that closed within the period.
CLOSED_STATUS_MIX = {"COMPLETED": 74, "WITHDRAWN": 11, "FAILED": 9}
HOURS_MIX = {
    2: 4,
    3: 3,
    4: 6,
    6: 5,
    8: 8,
    10: 5,
    12: 6,
    12.5: 3,
    16: 8,
    20: 9,
    24: 6,
    30: 6,
    32: 4,
    36: 3,
    40: 10,
    45: 3,
    48: 3,
    60: 4,
    80: 3,
    90: 2,
    120: 2,
}
# Chance that a COMPLETED participation comes with a certificate, by provider.
CERTIFICATE_RATE = {"CIESS": 0.85, "UNIVERSITY": 0.9, "IN_HOUSE": 0.3}
CERTIFICATE_RATE_DEFAULT = 0.6
# Cost per participant in US dollars (low, high); 0 is common for in-house courses.
COST_USD = {
    "IN_HOUSE": (0, 40),
    "CIESS": (120, 450),
    "UNIVERSITY": (300, 1500),
    "OTHER": (50, 600),
}
COST_USD_DEFAULT = (0, 300)
# Local currency units per US dollar, rounded: only the order of magnitude matters here.
CURRENCY_PER_USD = {
    "ARS": 1200,
    "BRL": 5.5,
    "CLP": 950,
    "PYG": 7500,
    "UYU": 40,
    "BOB": 6.9,
    "COP": 4000,
    "USD": 1,
    "PEN": 3.7,
    "VES": 60,
    "CRC": 510,
    "GTQ": 7.7,
    "HNL": 25,
    "NIO": 36.6,
    "PAB": 1,
    "MXN": 18,
    "CUP": 120,
    "DOP": 60,
    "HTG": 132,
    "CAD": 1.37,
    "XCD": 2.7,
    "BSD": 1,
    "BBD": 2,
    "BZD": 2,
    "JMD": 157,
    "TTD": 6.8,
    "GYD": 209,
    "AWG": 1.79,
    "XCG": 1.79,
}

# How institutions save their files, by language (see writing._layout): "template" is the CIESS
# CSV template with canonical column names, "labels" CSV with English labels, "excel" a CSV saved by
# a localised Excel (';', decimal commas, day-first dates), "tab" tab-delimited text, "xlsx" a workbook.
FILE_STYLE_MIX = {
    "en": {"template": 5, "labels": 3, "tab": 1, "xlsx": 2},
    "es": {"template": 3, "excel": 5, "tab": 1, "xlsx": 3},
    "pt": {"excel": 3, "xlsx": 2, "tab": 1},
    "fr": {"xlsx": 3, "excel": 2, "tab": 1},
}

# How people write booleans in their own language (all accepted by schemas/rules.yaml).
BOOLEAN_WORDS = {"en": ("yes", "no"), "es": ("Sí", "No"), "pt": ("Sim", "Não"), "fr": ("Oui", "Non")}

# Words and headers used by the problem files, in the institution's language.
NUMBER_WORDS = {"en": "forty", "es": "cuarenta", "pt": "quarenta", "fr": "quarante"}
REMARKS_HEADER = {"en": "comments", "es": "observaciones", "pt": "observações", "fr": "remarques"}
REMARKS = {
    "en": ["to be confirmed", "resit scheduled", "paid by the employer"],
    "es": ["pendiente de confirmar", "reprograma examen", "financiado por la institución"],
    "pt": ["a confirmar", "refará a prova", "custeado pelo órgão"],
    "fr": ["à confirmer", "examen à repasser", "pris en charge par l'institution"],
}
PII_HEADER = {"en": "email", "es": "Nombre completo", "pt": "Nome completo", "fr": "Nom complet"}
FAKE_NAMES = {
    "en": ["Sarah Thompson", "Michael Brown", "Keisha Williams", "Andre Charles", "Natalie Joseph", "Devon Clarke"],
    "es": [
        "María José Pérez Rojas",
        "Juan Carlos Gómez Díaz",
        "Ana Lucía Fernández",
        "Luis Alberto Ramírez",
        "Carmen Rosa Castillo",
        "Jorge Andrés Vargas",
    ],
    "pt": ["Ana Paula Souza", "João Pedro Santos", "Mariana Oliveira", "Carlos Eduardo Lima", "Fernanda Costa"],
    "fr": ["Marie-Claude Joseph", "Jean-Robert Pierre", "Nadège Louis", "Frantz Étienne", "Guerline Saint-Fleur"],
}
PROVIDER_TYPO = {"en": "Local college", "es": "Universidad", "pt": "Universidade", "fr": "Université"}

# Staff identifier habits: {n} is a running number, {prefix} three letters of the institution's code.
ID_STYLES = ("{n:06d}", "E-{n:06d}", "{prefix}{n:07d}", "{n}", "{prefix}-{n:06d}", "F{n:07d}")

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "pt": "Portuguese", "fr": "French"}
INSTRUCTIONS_SHEET = {"en": "Instructions", "es": "Instrucciones", "pt": "Instruções", "fr": "Instructions"}
INSTRUCTIONS = {
    "en": 'Fill in the sheet "{sheet}" without changing its header row.',
    "es": 'Complete la hoja "{sheet}" sin modificar la fila de encabezados.',
    "pt": 'Preencha a planilha "{sheet}" sem alterar a linha de cabeçalho.',
    "fr": "Remplissez la feuille « {sheet} » sans modifier la ligne d'en-tête.",
}
