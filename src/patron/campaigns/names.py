"""The built-in journeys' names in the five languages: a marketer reads "Sugrąžinimas" on a Lithuanian page, not
"Win-back". A journey the shop renamed keeps the shop's name everywhere."""

NAMES = {
    "welcome": {"lt": "Pasisveikinimas", "lv": "Sveiciens", "et": "Tervitus", "ka": "მისალმება"},
    "thank_you": {"lt": "Padėka po pirkimo", "lv": "Paldies pēc pirkuma", "et": "Tänu pärast ostu",
                  "ka": "მადლობა შენაძენის შემდეგ"},
    "birthday": {"lt": "Gimtadienio sveikinimas", "lv": "Dzimšanas dienas apsveikums", "et": "Sünnipäevatervitus",
                 "ka": "დაბადების დღის მილოცვა"},
    "winback": {"lt": "Sugrąžinimas", "lv": "Atgūšana", "et": "Tagasivõitmine", "ka": "დაბრუნება"},
    "service_recovery": {"lt": "Atsiprašymas po skundo", "lv": "Atvainošanās pēc sūdzības", "et": "Vabandus pärast kaebust",
                         "ka": "ბოდიში საჩივრის შემდეგ"},
    "detractor_followup": {"lt": "Kritiko kalbinimas", "lv": "Saruna ar kritiķi", "et": "Kriitiku järelkontakt",
                           "ka": "კრიტიკოსთან დაკავშირება"},
    "tier_upgrade": {"lt": "Aukštesnė pakopa", "lv": "Augstāks līmenis", "et": "Kõrgem tase", "ka": "უფრო მაღალი დონე"},
    "points_expiring": {"lt": "Baigiasi taškų galiojimas", "lv": "Punktu derīgums beidzas", "et": "Punktid aeguvad",
                        "ka": "ქულებს ვადა გასდის"},
    "idea_shipped": {"lt": "Jūsų idėja įgyvendinta", "lv": "Jūsu ideja īstenota", "et": "Teie idee on teostatud",
                     "ka": "თქვენი იდეა განხორციელდა"},
    "nps_survey": {"lt": "NPS apklausa po pirkimo", "lv": "NPS aptauja pēc pirkuma", "et": "NPS-küsitlus pärast ostu",
                   "ka": "NPS გამოკითხვა შენაძენის შემდეგ"},
    "csat_survey": {"lt": "CSAT po užklausos", "lv": "CSAT pēc pieteikuma", "et": "CSAT pärast pöördumist",
                    "ka": "CSAT მიმართვის შემდეგ"},
    "newsletter": {"lt": "Naujienlaiškis", "lv": "Jaunumu vēstule", "et": "Uudiskiri", "ka": "საინფორმაციო წერილი"},
    "name_day": {"lt": "Vardadienio sveikinimas", "lv": "Vārda dienas apsveikums", "et": "Nimepäevatervitus",
                 "ka": "სახელობის დღის მილოცვა"},
    "holiday_greeting": {"lt": "Šventinis sveikinimas", "lv": "Svētku apsveikums", "et": "Pühadetervitus",
                         "ka": "სადღესასწაულო მილოცვა"},
    "abandoned_checkout": {"lt": "Nebaigtas apmokėjimas", "lv": "Nepabeigta norēķināšanās", "et": "Pooleli jäänud ost",
                           "ka": "დაუსრულებელი გადახდა"},
    "browse_abandonment": {"lt": "Peržiūrėta, bet nepirkta", "lv": "Apskatīts, bet nenopirkts", "et": "Vaadatud, kuid ostmata",
                           "ka": "დათვალიერებული, მაგრამ უყიდავი"},
}

# The gift rewards the built-in journeys give (builtin.GIFT_REWARDS), named in the customers' languages.
GIFT_NAMES = {
    "Birthday gift": {"lt": "Gimtadienio dovana", "lv": "Dzimšanas dienas dāvana", "et": "Sünnipäevakingitus",
                      "ka": "დაბადების დღის საჩუქარი"},
    "Win-back discount": {"lt": "Sugrįžimo nuolaida", "lv": "Atgriešanās atlaide", "et": "Tagasituleku allahindlus",
                          "ka": "დაბრუნების ფასდაკლება"},
}
