"""A labelled set of customer comments in five languages, built for the theme tests.

Four planted topics (delivery, price, quality, staff), six phrasings of each per language, written
for these tests by the team; a comment is one or two phrasings of one topic, sometimes with a
filler sentence that belongs to no topic (the noise a real comment carries).
"""

import random

import pandas as pd

TOPICS = ("delivery", "price", "quality", "staff")

PHRASES = {
    "en": {
        "delivery": ["Delivery took two weeks", "The courier was late again", "My parcel arrived late and the delivery tracking never updated",
                     "Shipping is far too slow", "Delivery was delayed without any notice", "The parcel came a week after the promised delivery date"],
        "price": ["Prices are too high", "Everything got more expensive this year", "Too expensive compared to other shops",
                  "The price went up again", "I found the same product cheaper elsewhere", "Your prices are simply too high for me"],
        "quality": ["The product broke after a week", "Poor quality, the seams came apart", "The quality of the shoes is poor",
                    "It broke on the first use", "Cheap material, bad quality", "The product quality has gone down"],
        "staff": ["The staff were rude to me", "Customer service never answered my email", "The shop assistant was very helpful and friendly",
                  "Support staff were unfriendly", "Nobody from customer service called me back", "The staff in the store were friendly"],
    },
    "lt": {
        "delivery": ["Pristatymas užtruko dvi savaites", "Kurjeris vėl vėlavo", "Siuntinys atkeliavo pavėluotai",
                     "Pristatymas per lėtas", "Siuntinio pristatymas vėlavo be jokio įspėjimo", "Siuntinys atvyko savaite vėliau nei žadėta"],
        "price": ["Kainos per didelės", "Viskas šiemet pabrango", "Per brangu, palyginti su kitomis parduotuvėmis",
                  "Kaina vėl pakilo", "Tą pačią prekę radau pigiau kitur", "Jūsų kainos man per didelės"],
        "quality": ["Prekė sulūžo po savaitės", "Prasta kokybė, siūlės iširo", "Batų kokybė prasta",
                    "Sulūžo pirmą kartą naudojant", "Pigi medžiaga, bloga kokybė", "Prekių kokybė suprastėjo"],
        "staff": ["Darbuotojai buvo nemandagūs", "Klientų aptarnavimas neatsakė į mano laišką", "Pardavėja buvo labai paslaugi ir maloni",
                  "Aptarnavimo darbuotojai buvo nedraugiški", "Niekas iš klientų aptarnavimo man nepaskambino", "Parduotuvės darbuotojai buvo malonūs"],
    },
    "lv": {
        "delivery": ["Piegāde aizņēma divas nedēļas", "Kurjers atkal kavējās", "Paka pienāca ar nokavēšanos",
                     "Piegāde ir pārāk lēna", "Pakas piegāde kavējās bez brīdinājuma", "Paka pienāca nedēļu vēlāk nekā solīts"],
        "price": ["Cenas ir pārāk augstas", "Šogad viss kļuva dārgāks", "Pārāk dārgi salīdzinot ar citiem veikaliem",
                  "Cena atkal pieauga", "To pašu preci atradu lētāk citur", "Jūsu cenas man ir par augstu"],
        "quality": ["Prece saplīsa pēc nedēļas", "Slikta kvalitāte, šuves izirušas", "Apavu kvalitāte ir slikta",
                    "Saplīsa pirmajā lietošanas reizē", "Lēts materiāls, slikta kvalitāte", "Preču kvalitāte ir pasliktinājusies"],
        "staff": ["Darbinieki bija nepieklājīgi", "Klientu apkalpošana neatbildēja uz manu e-pastu", "Pārdevēja bija ļoti izpalīdzīga un laipna",
                  "Apkalpošanas darbinieki bija nelaipni", "Neviens no klientu apkalpošanas man neatzvanīja", "Veikala darbinieki bija laipni"],
    },
    "et": {
        "delivery": ["Tarne võttis kaks nädalat", "Kuller hilines jälle", "Pakk saabus hilinemisega",
                     "Tarne on liiga aeglane", "Paki tarne hilines ilma teavituseta", "Pakk saabus nädal hiljem kui lubatud"],
        "price": ["Hinnad on liiga kõrged", "Sel aastal läks kõik kallimaks", "Liiga kallis võrreldes teiste poodidega",
                  "Hind tõusis jälle", "Leidsin sama toote mujalt odavamalt", "Teie hinnad on minu jaoks liiga kõrged"],
        "quality": ["Toode läks nädala pärast katki", "Halb kvaliteet, õmblused läksid lahti", "Kingade kvaliteet on halb",
                    "Läks katki esimesel kasutamisel", "Odav materjal, halb kvaliteet", "Toodete kvaliteet on halvenenud"],
        "staff": ["Töötajad olid ebaviisakad", "Klienditeenindus ei vastanud mu kirjale", "Müüja oli väga abivalmis ja sõbralik",
                  "Klienditeeninduse töötajad olid ebasõbralikud", "Keegi klienditeenindusest ei helistanud mulle tagasi", "Poe töötajad olid sõbralikud"],
    },
    "ka": {
        "delivery": ["მიწოდებას ორი კვირა დასჭირდა", "კურიერი ისევ დაგვიანდა", "ამანათი დაგვიანებით მოვიდა",
                     "მიწოდება ძალიან ნელია", "ამანათის მიწოდება გაფრთხილების გარეშე დაგვიანდა", "ამანათი დაპირებულზე ერთი კვირით გვიან მოვიდა"],
        "price": ["ფასები ძალიან მაღალია", "წელს ყველაფერი გაძვირდა", "ძალიან ძვირია სხვა მაღაზიებთან შედარებით",
                  "ფასი ისევ გაიზარდა", "იგივე პროდუქტი სხვაგან უფრო იაფად ვიპოვე", "თქვენი ფასები ჩემთვის ძალიან მაღალია"],
        "quality": ["პროდუქტი ერთ კვირაში გაფუჭდა", "ცუდი ხარისხი, ნაკერები გაიხსნა", "ფეხსაცმლის ხარისხი ცუდია",
                    "პირველივე გამოყენებისას გაფუჭდა", "იაფი მასალა, ცუდი ხარისხი", "პროდუქციის ხარისხი გაუარესდა"],
        "staff": ["თანამშრომლები უხეშები იყვნენ", "მომხმარებელთა მომსახურებამ ჩემს წერილს არ უპასუხა", "გამყიდველი ძალიან დამხმარე და თავაზიანი იყო",
                  "მომსახურების თანამშრომლები არამეგობრულები იყვნენ", "მომხმარებელთა მომსახურებიდან არავინ დამირეკა", "მაღაზიის თანამშრომლები თავაზიანები იყვნენ"],
    },
}

FILLERS = {
    "en": ["Overall it was okay.", "Thanks.", "I hope this helps.", "I have been a customer for years."],
    "lt": ["Apskritai viskas gerai.", "Ačiū.", "Tikiuosi, tai padės.", "Esu klientas jau daug metų."],
    "lv": ["Kopumā viss bija labi.", "Paldies.", "Ceru, ka tas palīdzēs.", "Esmu klients jau daudzus gadus."],
    "et": ["Üldiselt oli kõik korras.", "Aitäh.", "Loodan, et see aitab.", "Olen klient juba aastaid."],
    "ka": ["საერთოდ ყველაფერი კარგად იყო.", "გმადლობთ.", "იმედია, ეს დაგეხმარებათ.", "წლებია თქვენი მომხმარებელი ვარ."],
}


def labelled_comments(per_topic: int = 15, seed: int = 7) -> pd.DataFrame:
    """comment, language, topic: `per_topic` comments per topic and language (300 with the default)."""
    rng = random.Random(seed)
    rows = []
    for language, topics in PHRASES.items():
        for topic in TOPICS:
            for _ in range(per_topic):
                parts = rng.sample(topics[topic], rng.choice([1, 2, 2]))
                if rng.random() < 0.4:
                    parts.insert(rng.randrange(len(parts) + 1), rng.choice(FILLERS[language]).rstrip("."))
                rows.append({"comment": ". ".join(parts) + ".", "language": language, "topic": topic})
    rng.shuffle(rows)
    return pd.DataFrame(rows)
