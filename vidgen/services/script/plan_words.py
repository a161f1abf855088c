"""The scene plan's word tables (issue 13): places, seasons, lights, props, people and what they do, in
English, Spanish, French, German, Italian and Portuguese.

Each entry is a tuple of six strings, one per language in `LANGS` order. A string holds
space-separated forms; `_` stands for a space ("living_room") and a bracket lists endings:
"barco(s)" is barco and barcos, "barc(a|he)" is barca and barche. Words are matched folded (case and
accents removed, apostrophes and hyphens read as spaces: "l'église" is "l eglise"), on whole words.
A form with a common other meaning in another language is written with its article instead
("le_pain", not "pain"; "la_tour", not "tour").
"""

from __future__ import annotations

LANGS = ("en", "es", "fr", "de", "it", "pt")

# Places, in domain.PLACES order: on a tie the earlier (more specific) one wins.
PLACE_WORDS: dict[str, tuple[str, ...]] = {
    "kitchen": ("kitchen(s)", "cocina(s)", "cuisine(s)", "küche(n)", "cucina cucine", "cozinha(s)"),
    "bakery": ("bakery bakeries bakehouse bakeshop", "panadería(s) pastelería", "boulangerie(s) pâtisserie",
               "bäckerei(en) backstube", "panetteria panificio forno_del_pane", "padaria(s)"),
    "stairwell": ("stairwell(s) staircase(s) stairs stairway(s)", "escalera(s)", "escalier(s) cage_d_escalier",
                  "treppe(n) treppenhaus", "scala scalinata scalone", "escada(s) escadaria"),
    "cafe": ("cafe(s) café(s) coffee_shop coffeehouse tearoom", "cafetería(s) el_café", "café(s) bistrot",
             "café(s) kaffeehaus", "caffè caffetteria", "cafeteria(s) o_café"),
    "shop": ("shop(s) store(s) boutique", "tienda(s) almacén", "magasin(s) boutique(s) épicerie", "laden läden geschäft",
             "negozio negozi bottega", "loja(s) mercearia"),
    "office": ("office(s)", "oficina(s) despacho", "bureau(x)", "büro(s)", "ufficio uffici", "escritório(s)"),
    "bedroom": ("bedroom(s)", "dormitorio(s) alcoba", "chambre(s)", "schlafzimmer", "camera_da_letto", "quarto(s)"),
    "living room": ("living_room sitting_room lounge parlour parlor", "salón sala_de_estar", "salon séjour",
                    "wohnzimmer stube", "soggiorno salotto", "sala_de_estar"),
    "classroom": ("classroom(s) school(s)", "aula(s) escuela(s) colegio", "salle_de_classe école(s)",
                  "klassenzimmer schule klasse", "classe scuola aula", "sala_de_aula escola(s)"),
    "church": ("church(es) chapel(s) cathedral", "iglesia(s) capilla catedral", "église(s) chapelle cathédrale",
               "kirche(n) kapelle dom", "chiesa chiese cappella duomo", "igreja(s) capela catedral"),
    "station": ("station(s) railway_station train_station platform", "estación andén", "gare(s) quai_de_gare",
                "bahnhof bahnsteig", "stazione binario", "estação estações plataforma"),
    "lighthouse": ("lighthouse(s)", "faro", "phare(s)", "leuchtturm", "faro", "o_farol do_farol no_farol um_farol"),
    "room": ("room(s) hall hallway corridor apartment attic cellar basement", "habitación(es) cuarto sala pasillo piso",
             "la_pièce une_pièce salle couloir appartement grenier", "zimmer raum saal flur wohnung", "stanza stanze sala corridoio",
             "sala corredor apartamento sótão"),
    "harbour": ("harbour(s) harbor(s) port dock(s) pier quay wharf marina", "puerto(s) muelle(s) dársena",
                "port(s) quai(s) jetée", "hafen kai anlegestelle", "porto porti molo banchina", "porto(s) cais"),
    "village square": ("square village market market_square marketplace", "plaza(s) pueblo aldea mercado", "la_place place_du_village place_du_marché village",
                       "platz marktplatz dorfplatz dorf markt", "piazza piazzetta villaggio paese mercato", "praça(s) aldeia vila mercado"),
    "street": ("street(s) road(s) alley alleyway avenue lane sidewalk pavement", "calle(s) callejón avenida",
               "rue(s) ruelle avenue trottoir", "straße(n) strasse(n) gasse allee", "strada strade vicolo viale",
               "rua(s) beco avenida calçada"),
    "city": ("city cities town downtown skyline", "ciudad(es)", "ville(s)", "stadt städte", "città", "cidade(s)"),
    "forest": ("forest(s) woods jungle woodland", "bosque(s) selva", "forêt(s) bois", "wald wälder", "bosco boschi foresta",
               "floresta(s) bosque mata"),
    "beach": ("beach(es) shore seashore coast", "playa(s) orilla costa", "plage(s) rivage côte", "strand(e) küste",
              "spiaggia spiagge riva costa", "praia(s) litoral"),
    "sea": ("sea(s) ocean(s) waves bay(s)", "mar océano olas bahía", "mer(s) océan vagues baie", "meer(e) ozean die_see wellen bucht",
            "mare oceano baia", "oceano ondas baía"),
    "mountain": ("mountain(s) peak summit", "montaña(s) sierra cumbre", "montagne(s) sommet", "berg(e) gebirge gipfel",
                 "montagna montagne vetta", "montanha(s) serra"),
    "desert": ("desert(s) dune(s)", "desierto(s) duna(s)", "désert(s) dune(s)", "wüste(n) düne(n)", "deserto dune",
               "deserto(s) duna(s)"),
    "field": ("field(s) meadow(s) farm farmland countryside prairie hills", "campo(s) prado(s) granja campiña",
              "champ(s) pré prairie ferme campagne", "feld felder wiese(n) bauernhof acker", "campi prato fattoria campagna",
              "campo(s) fazenda prado"),
    "garden": ("garden(s) park yard backyard orchard", "jardín jardines parque huerto", "jardin(s) parc verger",
               "garten gärten park", "giardino giardini parco orto", "jardim jardins parque quintal pomar"),
    "space": ("outer_space in_space space_station spaceship spacecraft orbit galaxy planet astronaut(s)",
              "espacio_exterior nave_espacial galaxia planeta", "espace vaisseau_spatial galaxie planète",
              "weltraum weltall raumschiff raumstation galaxie planet", "spazio astronave galassia pianeta",
              "espaço nave_espacial galáxia planeta"),
}

# Seasons. Snow words (vocabulary.WEATHER_WORDS["snow"]) count for winter too.
SEASON_WORDS: dict[str, tuple[str, ...]] = {
    "winter": ("winter(s) wintry frost frosty icy snowman christmas", "invierno(s) invernal helada escarcha hielo navidad",
               "hiver hivernal givre gel verglas noël", "winter winterlich frost eis glatteis weihnachten",
               "inverno invernale gelo brina ghiaccio natale", "inverno invernal geada gelo natal"),
    "autumn": ("autumn autumnal fallen_leaves autumn_leaves harvest", "otoño otoñal hojas_secas hojas_caídas vendimia",
               "automne automnal feuilles_mortes vendanges", "herbst herbstlich herbstlaub",
               "autunno autunnale foglie_secche foglie_cadute vendemmia", "outono outonal folhas_secas"),
    "spring": ("spring springtime blossom(s) blooming", "primavera primaveral", "printemps", "frühling frühjahr",
               "primavera primaverile", "primavera primaveril"),
    "summer": ("summer(s) summertime heatwave", "verano veraniego", "en_été l_été cet_été estival", "sommer sommerlich",
               "d_estate in_estate l_estate estivo", "verão"),
}

# Light sources (domain.LIGHTS).
LIGHT_WORDS: dict[str, tuple[str, ...]] = {
    "sun": ("sun sunlight sunshine sunny sunlit", "sol soleado", "soleil ensoleillé", "sonne(n) sonnenlicht sonnig",
            "il_sole al_sole del_sole soleggiato", "sol ensolarado"),
    "moon": ("moon moonlight moonlit", "luna luz_de_luna", "lune clair_de_lune", "mond mondlicht mondschein",
             "luna chiaro_di_luna", "lua luar"),
    "stars": ("stars starry starlight starlit", "estrellas estrellado", "étoiles étoilé", "sterne sternenhimmel",
              "stelle stellato", "estrelas estrelado"),
    "lamp": ("lamp(s) lamplight", "lámpara(s)", "lampe(s)", "lampe(n)", "lampada lampade", "lâmpada(s) candeeiro"),
    "candle": ("candle(s) candlelight candlelit", "vela(s)", "bougie(s) chandelle(s)", "kerze(n) kerzenlicht",
               "candela candele", "vela(s)"),
    "fire": ("fire fireplace hearth campfire bonfire", "fuego chimenea hoguera", "feu cheminée âtre",
             "feuer kamin lagerfeuer herdfeuer", "fuoco caminetto focolare falò", "fogo lareira fogueira"),
    "window": ("window(s)", "ventana(s) escaparate", "fenêtre(s) vitrine", "fenster schaufenster", "finestra finestre vetrina",
               "janela(s) vitrine"),
    "lantern": ("lantern(s)", "farol farolillo linterna", "lanterne(s)", "laterne(n)", "lanterna lanterne",
                "lanterna(s)"),
    "streetlight": ("streetlight(s) street_lamp(s) lamppost(s)", "farola(s)", "réverbère(s) lampadaire(s)",
                    "straßenlaterne(n) strassenlaterne(n)", "lampione lampioni", "poste_de_luz postes_de_luz"),
    "neon": ("neon neons", "neón", "néon(s)", "neon neonlicht leuchtreklame", "neon insegna insegne", "néon"),
}

# Props (domain.PROPS).
PROP_WORDS: dict[str, tuple[str, ...]] = {
    "boat": ("boat(s) dinghy dinghies rowboat(s) canoe(s) sailboat(s)", "barco(s) bote(s) barca(s) lancha(s)",
             "bateau(x) barque(s) canot(s)", "boot(e) booten kahn", "barca barche barchetta", "barco(s) bote(s) barca(s)"),
    "ship": ("ship(s) vessel(s)", "buque(s) navío(s)", "navire(s) paquebot", "schiff(e)", "nave navi", "navio(s)"),
    "car": ("car(s) taxi(s) truck(s)", "coche(s) el_auto carro(s)", "voiture(s) camion", "auto(s) ^wagen lastwagen",
            "macchina macchine automobile", "carro(s) o_automóvel"),
    "bicycle": ("bicycle(s) bike(s)", "bicicleta(s)", "vélo(s) bicyclette(s)", "fahrrad fahrräder", "bicicletta bici",
                "bicicleta(s)"),
    "train": ("train(s) locomotive", "tren(es)", "le_train un_train trains", "zug züge", "treno treni", "comboio(s) o_trem"),
    "lamp": ("lamp(s)", "lámpara(s)", "lampe(s)", "lampe(n)", "lampada lampade", "lâmpada(s) candeeiro"),
    "table": ("table(s)", "mesa(s)", "la_table une_table tables", "tisch(e)", "tavolo tavoli tavola", "mesa(s)"),
    "chair": ("chair(s) armchair(s) stool(s)", "silla(s) sillón", "chaise(s) fauteuil(s)", "stuhl stühle sessel",
              "sedia sedie poltrona", "cadeira(s) poltrona"),
    "bed": ("bed(s)", "cama(s)", "le_lit un_lit son_lit", "bett(en)", "letto letti", "cama(s)"),
    "book": ("book(s)", "libro(s)", "livre(s)", "buch bücher", "libro libri", "livro(s)"),
    "cup": ("cup(s) mug(s) teacup", "taza(s)", "tasse(s)", "tasse(n) becher", "tazza tazze", "xícara(s) chávena(s) caneca"),
    "bread": ("bread(s) loaf loaves baguette(s) dough", "el_pan del_pan de_pan un_pan panes masa barra_de_pan",
              "le_pain du_pain un_pain de_pain baguette(s) pâte miche", "brot(e) brötchen teig laib",
              "pane pani pagnotta impasto", "pão pães massa"),
    "oven": ("oven(s)", "horno(s)", "le_four du_four au_four fourneau", "ofen backofen", "forno forni", "forno(s)"),
    "door": ("door(s) doorway", "puerta(s)", "porte(s)", "tür(en)", "porta porte portone", "porta(s)"),
    "clock": ("clock(s)", "reloj(es)", "horloge(s) pendule", "uhr(en)", "orologio", "relógio(s)"),
    "tree": ("tree(s) oak pine(s)", "árbol(es) pino(s)", "arbre(s) sapin(s) chêne", "baum bäume tanne(n)",
             "albero alberi pino pini", "árvore(s) pinheiro(s)"),
    "flower": ("flower(s) roses", "flor(es) rosas", "fleur(s) roses", "blume(n) blüten rosen", "fiore fiori rose",
               "flor(es) rosas"),
    "house": ("house(s) cottage(s) cabin", "casa(s) cabaña", "maison(s) chalet", "haus häuser hütte", "casa case casetta baita",
              "casa(s) cabana"),
    "barn": ("barn(s) stable", "granero establo", "grange étable", "scheune stall", "fienile stalla", "celeiro estábulo"),
    "tower": ("tower(s) belfry", "torre(s) campanario", "la_tour une_tour clocher", "turm türme", "torre campanile",
              "torre(s) campanário"),
    "bridge": ("bridge(s)", "puente(s)", "pont(s)", "brücke(n)", "ponte ponti", "ponte(s)"),
    "fence": ("fence(s)", "valla(s)", "clôture(s) barrière", "zaun zäune", "recinto staccionata", "vedação cercado"),
    "dog": ("dog(s) puppy puppies", "perro(s) perrito(s)", "chien(s) chiot(s)", "hund(e) welpe", "cane cani cagnolino",
            "cão cães cachorro(s)"),
    "cat": ("cat(s) kitten(s)", "gato(s) gatito(s)", "le_chat un_chat les_chats des_chats chaton(s)", "katze(n) kater",
            "gatto gatti gattino", "gato(s) gatinho(s)"),
    "bird": ("bird(s)", "pájaro(s) ave(s)", "oiseau(x)", "vogel vögel", "uccello uccelli", "pássaro(s) ave(s)"),
    "gull": ("gull(s) seagull(s)", "gaviota(s)", "mouette(s) goéland(s)", "möwe(n)", "gabbiano gabbiani", "gaivota(s)"),
    "horse": ("horse(s) pony", "caballo(s)", "cheval chevaux", "pferd(e)", "cavallo cavalli", "cavalo(s)"),
    "cow": ("cow(s) cattle", "vaca(s)", "vache(s)", "kuh kühe", "mucca mucche vacca", "vaca(s)"),
    "fish": ("fish", "pez peces pescado", "poisson(s)", "fisch(e)", "pesce pesci", "peixe(s)"),
    "rock": ("rocks a_rock the_rock boulder(s)", "roca(s) peña", "rocher(s) roche(s)", "felsen fels", "roccia rocce scoglio scogli",
             "rocha(s) rochedo"),
}

# People. "one": a person; "many": a plural (three when no number says otherwise); "group": a crowd.
PEOPLE_WORDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("adult", "one"): (
        "man woman person fisherman baker farmer sailor stranger priest teacher waiter waitress doctor nurse soldier "
        "policeman guard driver lady gentleman shopkeeper merchant hunter worker villager traveller traveler passenger "
        "mother father grandmother grandfather old_man old_woman king queen keeper lighthouse_keeper hunter shepherd "
        "astronaut professor",
        "hombre mujer persona pescador panadero panadera campesino campesina marinero desconocido cura maestro maestra "
        "camarero camarera médico enfermera soldado anciano anciana señor señora viajero viajera madre padre abuelo abuela farero cazador pastor "
        "astronauta profesor profesora",
        "homme femme une_personne pêcheur boulanger boulangère paysan paysanne marin inconnu prêtre serveur serveuse "
        "médecin infirmière soldat vieillard vieil_homme vieille_femme monsieur dame voyageur voyageuse mère père "
        "grand_mère grand_père gardien chasseur berger astronaute professeur",
        "mann ^frau fischer bäcker bäckerin bauer bäuerin seemann matrose fremder pfarrer lehrer lehrerin kellner "
        "kellnerin arzt ärztin soldat greis greisin reisender mutter vater großmutter großvater wärter "
        "jäger hirte astronaut professor",
        "uomo donna persona pescatore fornaio fornaia panettiere contadino contadina marinaio sconosciuto prete "
        "cameriere cameriera medico infermiera soldato signore signora viaggiatore madre padre nonno nonna guardiano "
        "cacciatore pastore astronauta professore professoressa",
        "homem mulher pessoa pescador padeiro padeira camponês camponesa marinheiro desconhecido professor professora "
        "garçom garçonete médico enfermeira soldado senhor senhora viajante mãe pai avô avó faroleiro caçador pastor astronauta",
    ),
    ("adult", "many"): (
        "men women people fishermen bakers farmers sailors strangers villagers travellers travelers passengers "
        "soldiers workers adults customers guests dancers musicians townsfolk locals hunters shepherds",
        "hombres mujeres personas gente pescadores panaderos campesinos marineros aldeanos viajeros soldados "
        "ancianos vecinos clientes pastores cazadores",
        "hommes femmes gens personnes pêcheurs boulangers paysans marins villageois voyageurs soldats habitants clients bergers chasseurs",
        "männer frauen leute menschen personen bauern seeleute matrosen dorfbewohner reisende soldaten kunden gäste hirten jäger",
        "uomini donne persone gente pescatori fornai contadini marinai abitanti paesani viaggiatori soldati clienti pastori cacciatori",
        "homens mulheres pessoas gente pescadores padeiros camponeses marinheiros aldeões viajantes soldados "
        "moradores clientes pastores caçadores",
    ),
    ("adult", "group"): ("crowd audience", "multitud muchedumbre", "foule", "^menge menschenmenge", "folla",
                         "multidão"),
    ("child", "one"): (
        "child kid girl boy baby toddler schoolgirl schoolboy", "niño niña chico chica bebé crío cría",
        "enfant garçon fillette petite_fille petit_garçon bébé gamin gamine", "^kind ^junge mädchen baby",
        "bambino bambina bimbo bimba ragazzino ragazzina ragazzo ragazza", "criança menino menina garoto garota bebê",
    ),
    ("child", "many"): (
        "children kids girls boys babies schoolchildren", "niños niñas chicos chicas", "enfants garçons filles gamins",
        "kinder ^jungen", "bambini bambine bimbi ragazzini ragazzi", "crianças meninos meninas garotos",
    ),
}

# Numbers that count the people after them ("two children", "drei Kinder").
NUMBER_WORDS: dict[int, tuple[str, ...]] = {
    1: ("one", "uno una", "une", "ein eine einen einem", "uno una", "um uma"),
    2: ("two couple pair both", "dos ambos", "deux", "zwei beide", "due entrambi", "dois duas ambos"),
    3: ("three", "tres", "trois", "drei", "tre", "três"),
    4: ("four", "cuatro", "quatre", "vier", "quattro", "quatro"),
    5: ("five", "cinco", "cinq", "fünf", "cinque", "cinco"),
    6: ("six", "seis", "six", "sechs", "sei", "seis"),
    7: ("seven", "siete", "sept", "sieben", "sette", "sete"),
    8: ("eight", "ocho", "huit", "acht", "otto", "oito"),
    9: ("nine", "nueve", "neuf", "neun", "nove", "nove"),
    10: ("ten", "diez", "dix", "zehn", "dieci", "dez"),
}

# What people do (domain.FIGURE_ACTIONS), as the verb near them says it.
ACTION_WORDS: dict[str, tuple[str, ...]] = {
    "run": ("run(s) running ran sprint(s) sprinting rush(es) rushing race(s) racing dash(es) dashing flee(s) fleeing",
            "corre(n) corriendo corría(n) huye(n)", "court courent courant courait", "läuft laufen rennt rennen rennend",
            "corre corrono correndo correva", "corre(m) correndo corria"),
    "walk": ("walk(s) walking walked stroll(s) strolling wander(s) wandering cross(es) crossing",
             "camina(n) caminando pasea(n) paseando anda(n) andando cruza(n)",
             "marche(nt) marchant promène(nt) traverse(nt) avance(nt)", "geht gehen spaziert spazieren schlendert schlendern wandert wandern",
             "cammina camminano camminando passeggia(no) attraversa(no)", "caminha(m) caminhando anda(m) passeia(m) atravessa(m)"),
    "sit": ("sit(s) sitting sat seated", "sienta(n) sentado(s) sentada(s)", "assis assise(s) assoit assoient",
            "sitzt sitzen sitzend", "siede siedono seduto seduta seduti sedute", "senta(m) sentado(s) sentada(s)"),
    "talk": ("talk(s) talking talked chat(s) chatting speak(s) speaking spoke whisper(s) whispering argue(s) arguing",
             "habla(n) hablando charla(n) conversan susurra(n) discuten", "parle(nt) parlant bavarde(nt) discutent chuchote(nt)",
             "spricht sprechen redet reden plaudert plaudern flüstert", "parla(no) parlando chiacchierano sussurra(no)",
             "fala(m) falando conversa(m) sussurra(m)"),
    "stand": ("stand(s) standing stood wait(s) waiting", "de_pie espera(n) esperando", "debout attend(ent)",
              "steht stehen stehend wartet warten", "in_piedi aspetta(no)", "em_pé espera(m) esperando"),
}
