//! Figurines, cards, toys, games, model making and baby goods.

use super::ClassVocab;

#[rustfmt::skip]
pub(in crate::generate) static FIGURINES: ClassVocab = ClassVocab {
    code: 1140,
    related: &[1180, 1280, 1160],
    titles: &[
        "{n} {b} {t}", "{b} - {n} {a} {d} cm", "{n} {b} N°{d}", "{b} {n} {x}", "{n} {a} {b} - {t}",
        "{b} : {n} ({x})",
    ],
    nouns: &[
        "Figurine", "Figurine Pop", "Statuette", "Buste", "Porte-clés", "Peluche", "Funko Pop",
        "Figurine Articulée", "Mug", "Réplique", "Poster", "Diorama",
    ],
    brands: &[
        "Star Wars", "Marvel", "Dragon Ball Z", "One Piece", "Naruto", "Harry Potter", "Pokémon",
        "Disney", "DC Comics", "Game Of Thrones", "Zelda", "Funko", "Banpresto", "Tsume",
    ],
    adjectives: &[
        "collector", "articulée", "officielle", "exclusive", "vinyle", "peinte à la main",
        "numérotée", "lumineuse", "géante",
    ],
    extras: &[
        "Edition Limitée", "Exclusivité", "Vinyl Figure", "Chase", "Glow In The Dark",
        "Boîte Abîmée", "Licence Officielle", "Série 2",
    ],
    sentences: &[
        "{n} {b} officielle, hauteur {d} cm.", "Une pièce {a} pour les fans de {b}.",
        "Livrée dans sa boîte d'origine avec fenêtre.",
        "Sculpture détaillée, peinture de grande qualité.",
        "Personnage issu de l'univers {b}, {x}.",
    ],
    features: &[
        "Licence : {b}", "Hauteur : {d} cm", "Matière : PVC", "Série : {x}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static CARDS: ClassVocab = ClassVocab {
    code: 1160,
    related: &[1140, 1281],
    titles: &[
        "Carte {b} {t} {d}/{d}", "{n} {b} {x}", "{b} - {n} {a}", "{q} Cartes {b}",
        "{b} {t} {x} {d}/{d}", "{n} {b} {a} Vf",
    ],
    nouns: &[
        "Carte", "Booster", "Display", "Deck", "Classeur", "Protège-cartes", "Coffret",
        "Carte Holo", "Starter", "Tin", "Sleeves",
    ],
    brands: &[
        "Pokémon", "Yu-Gi-Oh", "Magic The Gathering", "Panini", "Dragon Ball Super", "Topps",
        "Lorcana", "One Piece Card Game", "Digimon",
    ],
    adjectives: &[
        "holo", "reverse", "rare", "commune", "foil", "gradée", "scellé", "ultra rare", "secrète",
        "première édition",
    ],
    extras: &[
        "VF", "Version Française", "Mint", "Near Mint", "PSA 9", "1ère Edition", "Promo",
        "Full Art", "GX", "EX",
    ],
    sentences: &[
        "Carte {b} {a} en état {x}.", "Issue de l'extension {t}.",
        "Envoi sous sleeve et toploader pour une protection optimale.",
        "Booster scellé contenant {d} cartes.", "Idéal pour compléter votre collection {b}.",
    ],
    features: &[
        "Jeu : {b}", "Rareté : {a}", "Langue : {x}", "Numéro : {d}/{d}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static WARGAME: ClassVocab = ClassVocab {
    code: 1180,
    related: &[1140, 1281, 1300],
    titles: &[
        "{b} - {n} {t}", "{n} {b} {x}", "{b} {n} {a}", "{q} {n} {b}", "{n} {t} - {b} {x}",
    ],
    nouns: &[
        "Figurines", "Escouade", "Boîte De Base", "Codex", "Livre De Règles", "Peinture Citadel",
        "Décor", "Figurine Métal", "Supplément De Jeu", "Dés", "Socles", "Écran Du Maître",
    ],
    brands: &[
        "Warhammer 40k", "Age Of Sigmar", "Games Workshop", "Donjons & Dragons", "Infinity",
        "Warmachine", "Mordheim", "Blood Bowl", "Citadel", "Pathfinder", "L'Appel De Cthulhu",
    ],
    adjectives: &[
        "non peintes", "peintes", "à monter", "en métal", "plastique", "socle rond", "28 mm",
        "fantasy", "épique",
    ],
    extras: &[
        "Space Marines", "Orks", "Eldars", "Nécrons", "Nains", "Elfes Noirs", "Chaos", "Skavens",
        "5e Edition", "VF",
    ],
    sentences: &[
        "Boîte {b} contenant {d} figurines {a}.",
        "Figurines à assembler et à peindre, colle non fournie.",
        "Supplément de jeu de rôle : {t}.", "Armée {x} prête pour vos batailles.",
        "Règles complètes pour {d} joueurs.",
    ],
    features: &[
        "Gamme : {b}", "Faction : {x}", "Échelle : 28 mm", "Nombre de figurines : {d}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static CHILD_TOYS: ClassVocab = ClassVocab {
    code: 1280,
    related: &[1281, 1302, 1140, 1300],
    titles: &[
        "{b} {n} {a} {c}", "{n} {a} {b} {x}", "{n} {b} - {t}", "{q} {n} {a}", "{b} {d} {n} {x}",
        "{n} {a} Pour Enfant {c}",
    ],
    nouns: &[
        "Poupée", "Peluche", "Voiture Télécommandée", "Jouet d'éveil", "Circuit",
        "Jeu De Construction", "Déguisement", "Cuisine Enfant", "Robot", "Camion", "Kit Créatif",
        "Pâte À Modeler", "Train En Bois", "Hochet", "Trottinette", "Drone",
    ],
    brands: &[
        "Lego", "Playmobil", "Vtech", "Barbie", "Hot Wheels", "Fisher-Price", "Smoby", "Janod",
        "Chicco", "Mattel", "Hasbro", "Nerf", "Bruder", "Majorette", "Djeco", "Tamiya",
    ],
    adjectives: &[
        "éducatif", "interactif", "musical", "lumineux", "en bois", "télécommandé", "sonore",
        "éducative", "magique", "géant",
    ],
    extras: &[
        "Dès 3 Ans", "À Partir De 18 Mois", "3-6 Ans", "Jouet Enfant", "Cadeau Noël", "2.4 GHz",
        "Piles Incluses", "Garçon Fille",
    ],
    sentences: &[
        "{n} {a} qui développe l'imagination de votre enfant.", "Convient aux enfants {x}.",
        "Fonctionne avec {d} piles AA (non incluses).",
        "Contient de petites pièces, ne convient pas aux enfants de moins de 36 mois.",
        "Des heures de jeu avec ce {n} signé {b}.", "Matériaux non toxiques et bords arrondis.",
    ],
    features: &[
        "Âge : {x}", "Marque : {b}", "Couleur : {c}", "Piles : {d} x AA",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static BOARD_GAMES: ClassVocab = ClassVocab {
    code: 1281,
    related: &[1280, 1160, 1180],
    titles: &[
        "{n} {b} {t}", "{b} - {n} {a}", "{n} {a} - {x}", "{t} - {n} {x}", "{b} {n} {d} Pièces",
        "{n} {b} {x}",
    ],
    nouns: &[
        "Jeu De Société", "Puzzle", "Jeu De Cartes", "Jeu De Plateau", "Jeu D'ambiance",
        "Jeu De Stratégie", "Casse-tête", "Jeu De Dés", "Échiquier", "Jeu Coopératif", "Extension",
    ],
    brands: &[
        "Asmodee", "Ravensburger", "Hasbro Gaming", "Monopoly", "Dujardin", "Gigamic",
        "Days Of Wonder", "Iello", "Cluedo", "Scrabble", "Clementoni", "Educa", "Blue Orange",
    ],
    adjectives: &[
        "familial", "coopératif", "stratégique", "classique", "amusant", "éducatif", "rapide",
        "magnétique",
    ],
    extras: &[
        "2 À 6 Joueurs", "Dès 8 Ans", "1000 Pièces", "500 Pièces", "Version Française",
        "Edition Voyage", "Nouvelle Version",
    ],
    sentences: &[
        "Un {n} {a} pour toute la famille.",
        "Pour {d} à {d} joueurs, parties d'environ {d}0 minutes.",
        "Contenu : plateau, {d} cartes, {d} pions et règle du jeu.",
        "Puzzle de {d}00 pièces, dimensions une fois assemblé {dim}.",
        "Le grand classique de {b}, {x}.",
    ],
    features: &[
        "Joueurs : {x}", "Éditeur : {b}", "Durée : {d}0 min", "Âge : dès {d} ans",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static MODEL_MAKING: ClassVocab = ClassVocab {
    code: 1300,
    related: &[1280, 1180],
    titles: &[
        "{b} {n} {x} {a}", "{n} {b} {d} - {t}", "{n} {a} {x}", "{b} - {n} {x}", "{n} {x} {b} {c}",
    ],
    nouns: &[
        "Maquette", "Drone", "Hélicoptère RC", "Voiture RC", "Kit Moteur", "Hélice",
        "Batterie Lipo", "Servo", "Avion", "Locomotive", "Quadricoptère", "Peinture Maquette",
        "Radiocommande",
    ],
    brands: &[
        "Revell", "Tamiya", "Heller", "Airfix", "Italeri", "DJI", "Syma", "Hubsan", "Graupner",
        "Märklin", "Jouef", "Parrot",
    ],
    adjectives: &[
        "télécommandé", "à monter", "brushless", "pliable", "FPV", "électrique", "échelle",
        "professionnel", "thermique",
    ],
    extras: &[
        "1/72", "1/35", "1/24", "1/10", "HO", "2.4 GHz", "Caméra HD 1080p", "4 Canaux", "RTF",
        "Kit",
    ],
    sentences: &[
        "{n} {a} à l'échelle {x}.",
        "Caméra embarquée et retour vidéo en temps réel, portée {d}0 mètres.",
        "Kit de {d}0 pièces à assembler, colle et peinture non incluses.",
        "Batterie {d}00 mAh pour environ {d} minutes de vol.", "Pièce détachée d'origine {b}.",
    ],
    features: &[
        "Échelle : {x}", "Marque : {b}", "Autonomie : {d} min", "Portée : {d}0 m",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static BABY_CLOTHES: ClassVocab = ClassVocab {
    code: 1301,
    related: &[1320, 1920],
    titles: &[
        "{q} {n} {a} {c}", "{n} {b} {x}", "{n} {a} Bébé {x}", "{b} {n} {c} {x}", "{n} {c} {a}",
    ],
    nouns: &[
        "Chaussettes", "Chaussons", "Collants", "Bonnet", "Body", "Bavoirs", "Chaussettes Bébé",
        "Gigoteuse", "Moufles", "Pyjama", "Chaussures Premiers Pas",
    ],
    brands: &[
        "Petit Bateau", "Absorba", "Kiabi", "Obaibi", "Noukies", "Sucre D'Orge", "Vertbaudet",
        "Dim", "Tape À L'Oeil",
    ],
    adjectives: &[
        "antidérapant", "en coton", "doux", "chaud", "tricoté", "brodé", "respirant", "unisexe",
        "bio",
    ],
    extras: &[
        "0-6 Mois", "6-12 Mois", "12-24 Mois", "Naissance", "Pointure 18", "Taille Unique", "Fille",
        "Garçon",
    ],
    sentences: &[
        "{n} {a} pour bébé, taille {x}.", "Semelle antidérapante pour les premiers pas.",
        "Coton doux qui respecte la peau délicate de bébé.", "Lavable en machine à 30 degrés.",
        "{q} coloris assortis : {c} et {c}.",
    ],
    features: &[
        "Taille : {x}", "Composition : {d}0% coton", "Couleur : {c}", "Marque : {b}",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static OUTDOOR_GAMES: ClassVocab = ClassVocab {
    code: 1302,
    related: &[1280, 2583, 2582],
    titles: &[
        "{n} {b} {a} {c}", "{n} {a} {x}", "{b} {n} {x}", "{n} {c} {dim}", "{q} {n} {a}",
    ],
    nouns: &[
        "Trampoline", "Balançoire", "Toboggan", "Cabane", "Ballon", "Jeu De Pétanque",
        "Cerf-volant", "Portique", "Bac À Sable", "Jeu De Molkky", "Pistolet À Eau",
        "Raquettes De Plage", "Tente De Jeu", "Filet De Badminton", "Frisbee",
    ],
    brands: &[
        "Decathlon", "Smoby", "Intex", "Trigano", "Hudora", "Kettler", "Wilson", "Obut", "Bestway",
        "Little Tikes",
    ],
    adjectives: &[
        "gonflable", "pliable", "extérieur", "résistant", "géant", "sécurisé", "portable",
        "en bois",
    ],
    extras: &[
        "Jeu D'extérieur", "Avec Filet", "Ø 305 cm", "Plage", "Jardin", "Plein Air", "Dès 3 Ans",
        "Charge Max 100 kg",
    ],
    sentences: &[
        "{n} {a} pour s'amuser au jardin tout l'été.",
        "Structure en acier galvanisé, charge maximale {d}0 kg.",
        "Se monte en quelques minutes, notice incluse.",
        "Parfait pour la plage, le camping ou le jardin.", "Jeu de plein air {a}, {x}.",
    ],
    features: &[
        "Dimensions : {dim}", "Matière : {m}", "Âge : dès {d} ans", "Usage : extérieur",
    ],
};

#[rustfmt::skip]
pub(in crate::generate) static CHILDCARE: ClassVocab = ClassVocab {
    code: 1320,
    related: &[1301, 1280, 1560],
    titles: &[
        "{n} {b} {a} {c}", "{b} - {n} {x}", "{n} {a} {x}", "{n} Bébé {b} {c}", "{q} {n} {b}",
    ],
    nouns: &[
        "Poussette", "Siège Auto", "Lit Parapluie", "Chaise Haute", "Porte-bébé", "Biberon",
        "Sac À Langer", "Babyphone", "Tapis D'éveil", "Baignoire Bébé", "Barrière De Sécurité",
        "Transat", "Tétine", "Matelas À Langer", "Veilleuse",
    ],
    brands: &[
        "Chicco", "Bébé Confort", "Babymoov", "Tommee Tippee", "Philips Avent", "Maxi-Cosi",
        "Tigex", "Safety 1st", "Red Castle", "Badabulle",
    ],
    adjectives: &[
        "pliable", "ergonomique", "réglable", "compact", "sécurisé", "anti-colique", "inclinable",
        "léger", "évolutif",
    ],
    extras: &[
        "Groupe 0+/1", "0-4 Ans", "Isofix", "Sans BPA", "Naissance", "Dès La Naissance", "260 ml",
        "Norme EN 1888",
    ],
    sentences: &[
        "{n} {a} pour le confort de bébé et des parents.", "Conforme à la norme de sécurité {x}.",
        "Se plie d'une main et se range facilement.",
        "Harnais {d} points et dossier réglable en {d} positions.",
        "Matériaux sans BPA, faciles à nettoyer.",
    ],
    features: &[
        "Âge : {x}", "Poids : {d} kg", "Couleur : {c}", "Marque : {b}",
    ],
};
