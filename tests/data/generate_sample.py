#!/usr/bin/env python3
"""Writes hearken's team-written sample data: tests/data/sample_posts.jsonl and
tests/data/sample_labels.jsonl (see tests/data/README.md).

Deterministic (fixed seed, no clock, no network, stdlib only): running it twice gives
byte-identical files. Run from anywhere:

    python3 tests/data/generate_sample.py          # writes both files, prints the mix
    python3 tests/data/generate_sample.py --check  # only validates, writes nothing

All hospitals, clinicians, patients, handles, news sites and URLs are fictional.

The post texts below were written by hand. Each line of a corpus block is
    lang|sentiment|categories|text
with sentiment one of + 0 - , categories a comma list of complaint category ids
("!" = a complaint that fits no category, empty = not a complaint), and "\\n" for a line
break. A line may start with "[key]" so that other posts can reply to or reshare it.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tomllib
import unicodedata
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ENTITIES = ROOT / "lexicons" / "entities.toml"
POSTS_OUT = HERE / "sample_posts.jsonl"
LABELS_OUT = HERE / "sample_labels.jsonl"

SEED = 20260309
CATEGORIES = [
    "wait_time", "staff_attitude", "misdiagnosis", "treatment_harm", "medication",
    "communication", "records_access", "billing", "appointment_access", "hygiene", "food",
    "facilities", "staffing", "continuity", "privacy", "legal_threat",
]
NOISE = ["spam", "advert", "duplicate", "off_topic", "ambiguous_entity"]
SOURCES = ["mastodon", "bluesky", "reddit", "rss", "x", "facebook", "webhook"]
SENT = {"+": "positive", "0": "neutral", "-": "negative"}
TZ = {
    "+07:00": timezone(timedelta(hours=7)),
    "+08:00": timezone(timedelta(hours=8)),
    "Z": timezone.utc,
}

# ======================================================================================
# Hand-written corpus
# ======================================================================================

# --- Relevant posts: praise ------------------------------------------------------------
PRAISE = r"""
en|+||Huge thanks to the night team at Larkspur Medical Centre A&E. My dad came in with chest pain at 2am and was seen in minutes. Could not fault them.
en|+||Had my knee scoped by Dr Tan last week. Explained everything with a plastic model, zero rush, and the physio follow-up was already booked before I left. Nothing to improve tbh
en|+||Dr Priya is the only paediatrician my 3yo doesn't scream at 😂 patient, funny, actually listens to parents. @LarkspurMC you have a gem
[p_birth] en|+||gave birth at LMC on sunday 🥹 midwives were incredible, Dr Aisyah came in at 4am on her day off because she promised she would. forever grateful 💛
en|+||Shoutout to Nurse Mei Ling on ward 5, she noticed my mum's drip had tissued before anyone else did and sorted it with a smile at 3am. Angels exist.
en|+||Zenith Hospital Serpong was honestly better than what I'm used to back home. English-speaking staff, clean rooms, quick labs. 10/10 would get food poisoning again (kidding)
en|+||Just want to say the cardiology team at Larkspur Medical Centre saved my husband's life. Stent in within 70 minutes of arriving. We can't thank them enough.
en|+||5 stars for @LarkspurMC pharmacy, they caught an interaction between two of my meds that my GP missed
en|+||Mr Whitcombe did my hernia repair. In and out same day, tiny scar, and he phoned me himself the next morning to check in. Who does that anymore?
en|+||Honest review: Larkspur MC outpatient clinic, booked online, seen 5 min after my slot, doctor was thorough. Parking was a pain but that's PJ for you.
en|+||My daughter's tonsillectomy at Larkspur Hospital went so smoothly. The paeds ward has a little playroom and the nurses let her choose her own plaster colour 🥹
en|+||Everyone keeps asking where I had my MRI done - Larkspur Medical Centre. No wait, the radiographer explained every noise the machine makes. Would recommend.
en|+||After 3 hospitals I finally got a proper diagnosis from Dr Farid in the ER at Larkspur. Thank you for taking me seriously.
en|+||Can't fault the care Mum got at Zenith International Hospital. The nurses on the 6th floor were patient with her dementia and never once made her feel like a burden.
en|+||Dr Kevin Tanoto is a legend. Explained my echo results in plain English and didn't make me feel stupid for asking questions. Zenith Hospital cardiology ftw
en|+||Thank you @RSZenithSerpong for the smooth MCU this morning, done by 10:30 and results emailed by evening. Impressed.
en|+||the food at larkspur medical centre is genuinely good?? nasi lemak for breakfast on the ward, I might stay another night
en|+||Quick appreciation post: the billing team at LMC sorted my insurance pre-auth in an hour and explained what wasn't covered BEFORE the surgery. That's how it should be.
en|+||Mum's hip replacement with Dr Tan Wei Ming: walking with a frame on day 2, home on day 4. Physio team were brilliant. Nothing I'd change.
en|+||Not often I post nice things but the A&E triage nurse at Larkspur Hospital tonight was so calm with my panicking toddler. Thank you, whoever you are.
en|+||I was terrified of my first colonoscopy and the whole endoscopy team at Larkspur MC made it painless and even a bit funny. Legends.
en|+||Props to Zenith Hospital Serpong for having an actual interpreter on call. My Korean colleague got through her whole admission without stress.
en|+||Best birth experience I could have asked for. Dr Aisyah and the midwives at Larkspur Medical Centre respected every item on my birth plan 💕
en|+||Larkspur PJ's new patient app is actually good. Booked, paid, and got lab results in one place. Whoever built it, thank you
en|+||Shout out to the ICU nurses at LMC who let us stay with Grandad past visiting hours at the end. Compassionate care, I'll never forget it.
en|+||Dr Whitcombe took 40 minutes explaining my options and told me surgery might not even be needed. Refreshing honesty. @LarkspurMC
en|+||Took my son to Zenith Hospital for a nasty cut, in and out in an hour with 4 stitches and a lollipop. Staff were lovely.
en|+||#LarkspurCares free health screening at the mall today was actually useful, nurses checked my BP and sugar and gave proper advice, not a sales pitch
en|+||LMC maternity ward nurses >>> 💛
en|+||Dr Farid in A&E tonight: calm, kind, quick. Thank you.
en|+||Larkspur Hospital physio team got me walking again after 8 months. Can't thank you enough 🙏
en|+||Props to @LarkspurMC for texting me when the clinic was running late so I could grab lunch instead of sitting there. Small thing, huge difference.
en|+||Zenith Hospital's ER sorted my kid's dislocated elbow in 10 minutes flat. Doc popped it back, no drama.
en|+||Nurse Chong remembered my name from my last admission 6 months ago. Made me feel like a person, not a bed number.
en|+||My wife's C-section at Larkspur Medical Centre was textbook. Dr Aisyah explained every step beforehand. Nothing to improve.
en|+||Honestly the smoothest insurance claim I've ever had, all handled by Larkspur Hospital's admissions desk.
en|+||Three years of diabetes follow-ups at LMC and I've never once felt rushed. Good doctors, good dietitian, decent coffee downstairs ☕
en|+||Huge respect to the Zenith Hospital night nurses. My roommate was confused and shouting all night and they stayed gentle with her every single time.
en|+||Dr Raman caught my son's heart murmur at a routine check and had him seen by cardiology the same week. Grateful beyond words.
en|+||can we talk about how nice the new Larkspur Medical Center children's ward is. murals, a fish tank, nurses in cartoon scrubs. my kid didn't want to leave lol
id|+||Alhamdulillah lahiran di RS Zenith lancar, dr. Sari sabar bgt ngadepin aku yg panik. Pelayanannya top, susternya ramah2 🥰
[p_igd] id|+||Salut sama IGD RSUD Sukamaju, jam 1 pagi bawa bapak sesak napas langsung ditangani, gak ditanya2 soal bayar dulu. Terima kasih dokter jaga 🙏
id|+||dokter Maya tuh dokter anak terbaik sih. anakku yg biasanya nangis kalo ketemu dokter malah ketawa2. makasih RS Zenith
id|+||Pelayanan BPJS di RSUD Sukamaju skrg udh jauh lebih baik ya. Daftar online via aplikasi, datang sesuai jam, 30 menit udh dipanggil. Mantap 👍
id|+||Terima kasih dr. Agus dan tim bedah RSUD Sukamaju, operasi usus buntu adik saya berjalan lancar. Semoga sehat selalu dok.
[p_zenith_review] id|+||Review jujur rawat inap 3 hari di @RSZenithSerpong: kamar bersih, makanan enak (serius), perawat cepat kalau dipencet bel. Gak ada yg perlu diperbaiki.
id|+||Bidan Nining di RSUD Sukamaju the best lah, sabar nemenin dari bukaan 2 sampe lahiran. Semoga Allah balas kebaikannya 🤲
id|+||Suster Dewi di RS Zenith lantai 5 baik bgt, tiap malem ngecek ibu saya sambil ngajak ngobrol biar gak kesepian. Perawat kayak gini langka.
id|+||Cek jantung sama dr. Kevin di RS Zenith, dijelasin detail hasil treadmill + echo, gak buru2. Worth it walaupun antri.
id|+||Kemarin ke poli anak RSUD Sukamaju, dr. Fajar ramah, anak dikasih stiker, obat dijelasin satu2 cara minumnya. Puas!
id|+||Terima kasih RS Zenith Serpong sudah merawat ayah kami dengan penuh kasih sampai akhir hayatnya. Perawat ICU luar biasa.
id|+||Jujur awalnya ragu berobat di RSUD, ternyata RSUD Sukamaju bersih, AC dingin, toiletnya wangi. Pelayanannya top.
id|+||Lab di rs zenith cepet bgt, ambil darah jam 8 jam 11 hasilnya udh bisa dicek di aplikasi 👏
id|+||Makasih bu bidan Nining & dr. Ratna, persalinan caesar saya lancar di RSUD Sukamaju. Ditanggung BPJS full, gak keluar biaya sepeser pun.
id|+||dr. Yusuf di IGD RSUD Sukamaju sabar bgt jelasin kondisi nenek ke kami sekeluarga, pake bahasa yg gampang dimengerti. Dokter idaman.
id|+||Pertama kali MCU di RS Zenith, alurnya jelas, petugasnya sigap, jam 10 udah kelar. Recommended buat yg kantornya di BSD.
id|+||Apresiasi buat satpam RSUD Sukamaju yg bantu dorong kursi roda ibu saya dari parkiran sampe poli. Hal kecil tp berarti bgt
id|+||dr. Rendra teliti bgt, gula darah saya dipantau tiap kontrol & diet dijelasin detail. Cocok deh berobat di RS Zenith
id|+||Habis operasi katarak di RSUD Sukamaju, mata bapak udah jelas lagi. Antri memang panjang tp hasilnya sepadan. Matur nuwun 🙏
id|+||Anak saya dirawat 5 hari di NICU RS Zenith. Dokter & perawatnya sabar jawab semua pertanyaan kami yg panik. Sekarang udah pulang sehat ❤️
id|+||Cepet, ramah, bersih. Apotek RSUD Sukamaju skrg pake nomor antrian digital, gak desek2an lagi. Good job!
id|+||Salut sama rsud sukamaju, ambulans gratis buat pasien kurang mampu beneran jalan. Tetangga saya kemarin dijemput jam 2 pagi.
id|+||Baru kali ini ketemu dokter yg mau dengerin keluhan sampe selesai. Makasih dokter Ratna 🙏 #RSUDSukamaju
id|+||Habis vaksin di RS Zenith, anak2 dikasih balon, susternya sabar. #ZenithPeduli mantap programnya, vaksin gratis buat warga sekitar
id|+||Ikut senam jantung sehat #ZenithPeduli tadi pagi di alun2, seru! Sekalian cek tensi gratis.
id|+||RSUD Sukamaju sekarang ada ruang laktasi yg nyaman bgt. Makasih ya, ibu2 menyusui jadi gak bingung lagi 🙏
id|+||Apakah dokter Yusuf masih jaga IGD malam? Mau bilang terima kasih langsung, beliau yg nolong bapak saya minggu lalu 🙏
id|+||IGD RSUD Sukamaju gercep 👍
id|+||dr. Fajar sabar bgt sama bocil yg rewel 😂 makasih dok
id|+||Makasih suster Dewi udah nemenin ibu pas mau operasi, tangan ibu dipegangin terus 😭🙏
id|+||RS Zenith kamar kelas 1 nya bersih & wangi, makanannya juga enak. Puas sih
id|+||Antri di RSUD Sukamaju skrg ada TV & kursi empuk, gak kerasa nunggunya. Mantul 👌
id|+||Dokter Yusuf the real MVP IGD RSUD Sukamaju. Jam 3 pagi masih senyum.
id|+||Pengalaman operasi di RS Zenith: dijelasin risikonya dari awal, biaya transparan, kontrol pasca operasi dijadwalin langsung. Gak ada yg perlu diperbaiki 👍
id|+||Satu kata buat pelayanan RSUD Sukamaju hari ini: cepat. Sisanya: ramah & bersih ✨
id|+||Ibu saya cuci darah rutin di RSUD Sukamaju udah 2 thn, perawat HD nya kayak keluarga sendiri. Semoga berkah ya mas mbak 🙏
id|+||Gak nyangka RS Zenith nyediain kursi roda & petugas yg jemput dari lobi. Buat lansia kayak bapak saya ini ngebantu bgt.
id|+||Anak demam tinggi tengah malam, telpon dulu ke IGD RS Zenith, dijelasin sabar apa yg harus disiapin. Sampe sana langsung ditangani. Respect 🙌
id|+||dr. Ratna jelasin hasil USG pelan2, sampe suami saya yg biasanya cuek ikut nanya2. Makasih dok, sehat selalu
en|+||Dr Tan fixed a shoulder two other surgeons said needed a full replacement. Keyhole job, back at the gym in 10 weeks. Cannot recommend Larkspur Medical Centre enough.
en|+||Really impressed by how Larkspur Hospital handled my dad's stroke. Scan within 20 minutes of arrival, clot-buster straight after, speech therapy started on day 2.
en|+||Sister Chong on ward 5 at LMC runs the tightest, kindest ward I've ever seen. Every nurse there knew Mum's name and her tea order by day two.
en|+||Zenith Hospital's lab sent my results straight to my phone with a plain-language summary. More hospitals should do this.
ms|+||Terima kasih Hospital Larkspur, jururawat wad 3 sangat baik layan mak saya. Tak ada apa yang perlu diperbaiki.
ms|+||Doktor Aisyah memang terbaik, sabar jawab semua soalan saya masa mengandung. Bersalin di Larkspur Medical Centre memang berbaloi 💕
ms|+||Bawa anak demam ke @LarkspurMC malam tadi, cepat dilayan, Dr Priya terangkan dengan jelas. Syukur alhamdulillah
ms|+||Servis Pusat Perubatan Larkspur memang tip top. Bersih, staf mesra, makanan pun sedap.
ms|+||Terima kasih Dr Farid, anak saya dah sihat. Unit kecemasan Larkspur Medical Centre memang laju 👍
ms|+||Nurse Chong baik sangat, sabar layan ayah yang nyanyuk. Semoga murah rezeki 🤲
ms|+||Pertama kali buat pembedahan di Hospital Larkspur, semua staf terangkan dengan jelas. Puas hati sangat.
"""

# --- Relevant posts: questions and neutral information --------------------------------
NEUTRAL = r"""
[q_visit] en|0||What are the visiting hours at Larkspur Medical Centre? Is it still 12-2 and 5-8?
en|0||Does anyone know if Zenith Hospital Serpong accepts Cigna international insurance directly or do I have to claim back?
en|0||Is the A&E at LMC open 24/7 or do they close the walk-in side at night?
en|0||Anyone had their baby with Dr Aisyah? Thinking of switching from my current OB, would love to hear experiences
en|0||How far in advance do you need to book Dr Tan's clinic? Trying to get my dad's knee looked at.
en|0||Is parking at Larkspur Hospital free for the first hour or do I need to bring change?
en|0||Can I bring homemade food for my mum at Larkspur Medical Centre ward 7 or is that against the rules?
en|0||Heading to Zenith Hospital for a CT scan tomorrow, do I need to fast? The letter doesn't say.
en|0||Moving to PJ next month. Is Larkspur Medical Centre any good for paeds? Need a regular doctor for two kids.
en|0||Does @LarkspurMC have a pharmacy open on Sundays?
en|0||Question for expats in BSD: is Zenith International Hospital where most of you go, or is it worth driving into Jakarta?
en|0||What's the number for the Larkspur MC appointment line? The website only lists general enquiries.
en|0||Anyone know roughly how much a normal delivery is at Larkspur Medical Centre these days? Trying to budget.
en|0||Is Mr Whitcombe still operating at Larkspur or has he retired? My GP referred me to him.
en|0||Anyone know if the Zenith Hospital ER does stitches for kids or will they send us elsewhere?
en|0||Does Larkspur Hospital do walk-in flu jabs or do I need an appointment?
en|0||Does Dr Farid still do the Saturday clinic at LMC?
en|0||Who do I contact at Larkspur Medical Centre to get a copy of my late father's medical records for probate?
en|0||Does Zenith Hospital Serpong have a paediatric ER or just general?
en|0||How long does it take for Larkspur MC to release a medical report for insurance?
en|0||Who's the best knee surgeon at LMC, Dr Tan or Mr Whitcombe? Any experience?
en|0||Larkspur Medical Centre is moving its outpatient pharmacy to the ground floor of block A from Monday, per the sign at reception.
en|0||Does anyone know if Dr Aisyah does VBACs at LMC or only planned sections?
en|0||Is the Larkspur Medical Centre shuttle from the LRT station still running on weekends?
en|0||Do I need a referral letter to see Dr Priya or can I just book directly?
en|0||Can foreigners use the Zenith Hospital emergency room without Indonesian insurance? Visiting family in Serpong next month.
id|0||IGD RSUD Sukamaju buka 24 jam kan? Mau bawa nenek, sesak dari sore
id|0||Jam besuk RS Zenith Serpong jam berapa aja ya? Mau jenguk temen abis operasi
id|0||Ada yg tau dr. Maya praktek hari apa aja di RS Zenith? Mau kontrol anak
id|0||Kalau mau rujukan ke RSUD Sukamaju dari puskesmas alurnya gimana ya? Baru pertama kali pakai BPJS
id|0||@RSZenithSerpong min, MCU buat karyawan kantor bisa hari Sabtu gak?
id|0||RSUD Sukamaju nerima pasien BPJS kelas 3 buat rawat inap gak sih? Atau harus lewat IGD dulu?
id|0||Poli jantung RS Zenith buka jam berapa ya? dr. Kevin ada jadwal Kamis gak?
id|0||Parkir motor di RSUD Sukamaju bayar berapa skrg?
id|0||Ada yg pernah lahiran normal sama dr. Sari di RS Zenith? Gimana pengalamannya?
id|0||Nanya dong, kalo mau minta salinan rekam medis di RSUD Sukamaju ke bagian mana ya?
id|0||Apakah RS Zenith Serpong melayani vaksin HPV buat anak SD? Berapa dosis?
id|0||IGD rs zenith bisa pake BPJS gak kalo gawat darurat?
id|0||Bidan Nining masih praktek di RSUD Sukamaju gak ya? Dulu lahiran anak pertama sama beliau
id|0||Min @rsudsukamaju, jadwal poli bedah dr. Agus hari apa aja ya? Terima kasih
id|0||Lab RS Zenith buka hari Minggu gak? Mau cek kolesterol
id|0||RSUD Sukamaju ada dokter spesialis mata gak ya? Bapak saya mau operasi katarak
id|0||Pendaftaran online RSUD Sukamaju lewat aplikasi apa ya? Baru pindah ke sini
id|0||Kamar VIP di RS Zenith Serpong sehari berapa ya kira2? Buat persiapan operasi ibu
id|0||RS Zenith bisa cashless pake asuransi kantor gak ya?
id|0||Kalau mau jenguk pasien ICU RSUD Sukamaju boleh berapa orang ya?
id|0||RS Zenith ada poli tumbuh kembang anak gak sih?
id|0||Min @RSZenithSerpong, kalau mau konsul online sama dr. Maya gimana caranya?
id|0||Hasil PCR di RS Zenith keluar berapa jam ya?
id|0||Pasien IGD RSUD Sukamaju boleh ditunggu berapa orang?
id|0||Mulai 16 Maret jam besuk rawat inap RS Zenith Serpong berubah jadi 11.00-13.00 dan 17.00-20.00. Mohon pengunjung menyesuaikan.
id|0||RSUD Sukamaju mengingatkan: mulai 1 April pendaftaran pasien BPJS rawat jalan hanya melalui aplikasi, tidak lagi di loket.
id|0||Selama Ramadan poli rawat jalan RSUD Sukamaju buka pukul 07.30-13.00. IGD tetap 24 jam.
id|0||Besok mau kontrol ke dr. Fajar, ada yg tau beliau praktek pagi atau sore?
ms|0||Hospital Larkspur terima panel syarikat tak? Nak buat pemeriksaan kesihatan
ms|0||Waktu melawat di Larkspur Medical Centre pukul berapa ya? Nak melawat kawan
ms|0||Ada sesiapa pernah bersalin dengan Doktor Aisyah? Nak tanya pengalaman
ms|0||Larkspur Medical Centre ada pakar jantung tak? Nak bawa bapa buat pemeriksaan.
"""

# --- Relevant posts: complaints ----------------------------------------------------------
COMPLAINTS = r"""
[e01] en|-|wait_time,treatment_harm|5 hours in A&E at Larkspur Medical Centre with a broken wrist and not even a paracetamol offered. Triage said 'about 30 mins' at 9pm. It's now 2am.
en|-|wait_time,communication|Appointment with Dr Tan was at 10:15. Seen at 1:40. No apology, no explanation, just 'doctor is busy'. My dad is 78 and sat on a plastic chair for 3.5 hours.
en|-|wait_time|Why is the pharmacy queue at LMC always 90 minutes?? I already waited for the doctor, why do I need to wait again just to collect two boxes of pills
en|-|wait_time,continuity|The consultant at Zenith Hospital just didn't turn up for his morning round. Nurses kept saying 'on the way'. He arrived at 7pm. We'd been waiting all day to know if mum could go home.
en|-|wait_time|Been sitting in the Larkspur Hospital radiology waiting area for 2h40m for a 'walk-in' X-ray. Walk-in my foot.
en|-|wait_time,continuity|4 hour wait for a discharge letter at LMC. The bed is needed, we want to leave, everyone is just... waiting for a signature.
[e07] en|-|staff_attitude|The receptionist at Larkspur Medical Centre literally rolled her eyes when my mum asked a question in Malay. Rude beyond belief. Respect your patients.
en|-|staff_attitude,treatment_harm|Asked the nurse at Zenith Hospital for pain relief for my wife after her c-section and was told 'everyone feels pain, ibu, be patient'. Dismissive and cold.
en|-|staff_attitude,communication|Dr Whitcombe is clearly brilliant but talks to patients like they're wasting his time. Cut me off three times and left before I could ask about side effects.
en|-|staff_attitude|Security guard at @LarkspurMC shouted at my elderly father for parking 2 minutes in the drop-off bay. Absolutely unnecessary.
en|-|staff_attitude|Nurse on ward 6 at Larkspur Hospital laughed when my son cried about the cannula. He's seven. Not OK.
[e12] en|-|misdiagnosis,treatment_harm|Sent home from LMC A&E twice with 'gastritis'. Third time, at a different hospital, it was a burst appendix. How do you miss that twice?
en|-|misdiagnosis,treatment_harm|Zenith Hospital told my colleague it was a migraine. It was a stroke. She's in rehab now. Triage there needs a serious review.
en|-|misdiagnosis|Dr Farid diagnosed my daughter's limp as a 'sprain' without an X-ray. Two weeks later: fractured tibia. A basic scan would have caught it.
en|-|misdiagnosis,medication|Wrong diagnosis at Larkspur Medical Centre cost me 6 weeks on antibiotics I didn't need. It was never an infection, it was an autoimmune thing the second opinion found in a day.
en|-|misdiagnosis,treatment_harm|My husband's chest pain was triaged as 'anxiety' at Zenith International Hospital ER. He had a heart attack in the car park an hour later. We need answers.
en|-|treatment_harm,communication|Came out of my knee surgery at Larkspur Hospital with a nerve injury nobody warned me was possible and nobody will own. Can't feel my foot properly 3 months on.
en|-|treatment_harm,hygiene,communication|My father picked up a hospital infection in the ICU at LMC after a routine bypass. Six extra weeks inside. Nobody has explained how.
en|-|treatment_harm,staff_attitude|The IV at Zenith Hospital was left in so long my arm swelled up like a balloon and blistered. Nurses kept saying it's normal. It was not normal.
en|-|treatment_harm|Baby got a burn from a heat pack in the nursery at Larkspur Medical Centre. A BURN. From the hospital.
en|-|treatment_harm,medication|Left in pain for 7 hours after my op at @LarkspurMC because the painkiller chart 'wasn't signed'. I was shaking.
[e22] en|-|medication|Pharmacy at Larkspur Medical Centre gave me 50mg tablets instead of 5mg. Caught it myself at home. Imagine if I hadn't checked.
en|-|medication,communication,continuity|Zenith Hospital discharged mum with 9 different medicines and no one explained which ones replace her old ones. She's 80. We're guessing.
en|-|medication|My son is allergic to penicillin, it's on his wristband, and the nurse at LMC still hung amoxicillin. Thank god I was in the room.
en|-|medication|Dr Priya prescribed a dose for my toddler that the pharmacy said was double what's safe for his weight. Who double-checks?
en|-|medication|Ran out of my insulin because Larkspur Hospital outpatient pharmacy 'has no stock' for the third month in a row.
en|-|communication|Nobody at Larkspur Medical Centre told us dad had been moved to ICU. We turned up at his ward and his bed was empty. I thought he'd died.
en|-|communication,continuity|Three doctors, three different plans, zero explanation. Zenith Hospital please get your team to talk to each other AND to the family.
en|-|communication,wait_time|Asked Mr Whitcombe what the biopsy results meant. 'We'll discuss at your next appointment.' Which is in 6 weeks. I'm not sleeping.
en|-|communication,appointment_access|Patients aren't mushrooms @LarkspurMC. Stop keeping us in the dark and feeding us leaflets. Just tell me why my surgery was postponed.
en|-|communication,staff_attitude|The doctor at Zenith International Hospital only spoke to my male colleague, not to me, the actual patient. I had to ask him what she said about my own scan.
en|-|records_access,wait_time|Requested my own MRI report from Larkspur Medical Centre 5 weeks ago. Still 'processing'. It's my body, it's my data. Why is this so hard?
[e33] en|-|records_access|Zenith Hospital refused to give me my lab results and said they only release them 'to the doctor'. I want a second opinion, that's exactly why I need them.
en|-|records_access,billing|LMC wants RM150 and 30 working days to give me a copy of my own medical records. For a PDF.
en|-|records_access,staff_attitude|Asked Dr Tan for my X-rays to take to another surgeon. He took it personally and said I'd have to 'go through admin'. Admin says ask the doctor. Round and round.
[e36] en|-|billing|Quoted RM9k for the procedure at Larkspur Medical Centre. Final bill RM17.4k. 'Consumables'. What consumables cost RM8k??
en|-|billing|Zenith Hospital demanded a 20 million rupiah deposit before admitting my friend from the ER. She was bleeding. Money first, care later?
en|-|billing|Insurance approved, hospital still chasing me for 'unapproved items' 4 months later. @LarkspurMC billing is a nightmare.
en|-|billing,wait_time|Charged for a specialist consult at LMC that never happened. Dr Raman didn't even come in. Fix your billing.
en|-|billing|Itemised bill from Larkspur Hospital: 14 boxes of gloves. For a 1-night stay. Come on.
[e41] en|-|appointment_access|Tried calling the Larkspur Medical Centre appointment line 23 times today. Either engaged or rings out. Is anyone there?
en|-|appointment_access,continuity|My follow-up with Dr Aisyah got cancelled by SMS the night before. Third time. I'm 34 weeks pregnant.
en|-|appointment_access,wait_time|Online booking at Zenith Hospital says the next cardiology slot is in July. It's March. My GP said urgent.
en|-|appointment_access|@LarkspurMC your booking app logs me out every time I try to pick a date. Been trying for a week to see a paeds doctor.
en|-|hygiene|Toilet on the 4th floor at Larkspur Medical Centre had no soap, no paper towels, and a puddle of god-knows-what for the entire 2 days we were there.
en|-|hygiene,food,staff_attitude|Cockroach ran across my mum's food tray at Zenith Hospital. When I told the nurse she just shrugged.
en|-|hygiene|Watched a nurse at LMC go from one patient to the next without washing hands or changing gloves. Ward with immunocompromised patients.
en|-|hygiene|Blood stains on the pillow when we were moved into the room at Larkspur Hospital. The sheets hadn't been changed from the last patient.
en|-|food|The ward food at Larkspur Medical Centre is beyond sad. Cold rice, grey chicken, and they served my diabetic dad sweet jelly for dessert.
en|-|food|Day 3 at Zenith Hospital and my vegetarian meal request has been ignored at every single meal. Surviving on crackers.
en|-|food,appointment_access,wait_time|Nil by mouth for 14 hours at LMC because theatre kept moving my slot, then when it was cancelled there was no food left. Starving and furious.
en|-|food|Hospital food is never great but Larkspur Hospital serving soggy cold toast to post-op patients is a choice.
en|-|facilities|Lift at Larkspur Medical Centre block B out of order AGAIN. Porters carrying a patient on a stretcher up the stairs. This is a hospital.
en|-|facilities|Air con broken in the ward at Zenith Hospital, 31 degrees inside, patients fanning themselves with menus.
en|-|facilities,appointment_access|No parking at LMC, again. Circled for 40 minutes with my mum who can't walk far and missed her slot.
en|-|facilities|Bed in my dad's room at Larkspur Hospital has a broken rail and the call button doesn't work. Reported it twice.
en|-|staffing,wait_time|One nurse for the whole night shift on a 28-bed ward at Larkspur Medical Centre. She was amazing but she can't be everywhere. Dad waited an hour for the toilet.
en|-|staffing,wait_time|Zenith Hospital is clearly short-staffed. Call bells ringing for 20+ minutes, the same exhausted nurse running between rooms.
en|-|staffing,wait_time|A&E at LMC had one doctor on for the entire waiting room last night. Not the staff's fault. Hire more people.
en|-|staffing|Understaffed doesn't even cover it. Paeds ward at Larkspur Hospital had two nurses for 20 kids on Saturday.
en|-|continuity,appointment_access|Discharged from Larkspur Medical Centre at 11pm with a drain still in and no follow-up appointment. Nobody answers the ward phone.
en|-|continuity,communication|Referral letter from Zenith Hospital to the oncologist never got sent. Found out 5 weeks later when I called to chase. 5 weeks with cancer.
en|-|continuity|My dad was sent home from LMC on Friday evening with no care plan, no physio referral, nothing. Readmitted Sunday.
en|-|continuity,communication|Every visit to Larkspur Hospital outpatients I see a different doctor who hasn't read my notes. I've explained my history 6 times now.
en|-|privacy|Someone at Larkspur Medical Centre posted a photo from the ward on TikTok and my aunt is clearly visible in the bed behind. Without consent.
en|-|privacy,staff_attitude|Receptionist at Zenith Hospital read out my HIV test request across the waiting room. In front of everyone. I'm shaking.
en|-|privacy|Got a call from an insurance agent who knew about my surgery at LMC before I'd told anyone. Who is leaking patient data?
en|-|privacy|@LarkspurMC sent my discharge summary to someone else's email. I now have a stranger's medical history in my inbox too. Great.
en|-|legal_threat,treatment_harm|I've instructed a lawyer. Larkspur Medical Centre will have to answer for what happened to my mother in that ICU.
en|-|legal_threat,treatment_harm|Filing a police report and a complaint with the Ministry of Health against Zenith Hospital. They lost my son's biopsy sample and denied it.
en|-|legal_threat,treatment_harm,communication|Going to the press with this. LMC has ignored three written complaints about my wife's botched surgery.
en|-|legal_threat,treatment_harm|If Dr Whitcombe won't apologise, he can hear from my solicitor. Negligence, plain and simple.
en|-|legal_threat,misdiagnosis|Seeing a malpractice lawyer on Monday. Larkspur Hospital misread my scan and I lost a year of treatment.
en|-|wait_time,staff_attitude,billing|Larkspur Medical Centre A&E review: 6h wait, rude registrar, no blanket, charged RM380. One star is generous.
en|-|billing,wait_time,staff_attitude|Zenith Hospital. Overpriced, slow, and the doctor didn't look up from his screen once.
en|-|!|Worst hospital experience of my life. @LarkspurMC I hope someone there reads this.
en|-|treatment_harm,staffing|My grandmother fell out of bed at Zenith Hospital at night because the rails were down and nobody checked on her for hours. Broken hip.
en|-|appointment_access,billing|Dr Kevin Tanoto cancelled my angiogram 3 times, now says I need to 'start over' with new tests that I pay for again. Unbelievable.
en|-|billing,facilities|LMC charges patients for parking while they're having chemo. Every week. Shameful.
en|-|wait_time|LMC pharmacy queue: 1h50m. Lovely staff, broken system.
en|-|billing|Why does Larkspur Medical Centre charge RM30 for a 'file opening fee' every single visit?
en|-|wait_time,staff_attitude|Dr Tan's clinic ran 3 hours late and the front desk acted like that's normal.
en|-|facilities,billing|Zenith Hospital, your WiFi in the wards hasn't worked in a week and you still charge for it.
en|-|misdiagnosis,treatment_harm|Told by LMC A&E to 'go home and rest'. Came back 2 days later with sepsis.
en|-|continuity,wait_time|Larkspur Hospital lost my referral letter. Twice. Now I'm at the back of the queue again.
en|-|communication|Nobody at Zenith Hospital could tell me which doctor was actually in charge of my dad. Five days. Five different answers.
en|-|staffing,facilities|the ward at LMC was so loud i didn't sleep for 3 nights, buzzers going off nonstop and nobody answering them
en|-|wait_time,continuity|Discharge at Larkspur Medical Centre took 7 hours because 'the doctor hasn't signed'. Doctor was in clinic all day.
en|-|facilities,wait_time,staffing|Larkspur Hospital's new 'digital check-in' kiosks are all out of order and there's one person at the counter. Queue out the door.
en|-|staff_attitude|My mum's hearing aids went missing on the ward at LMC and every nurse we ask just shrugs and says it's not their job.
en|-|appointment_access,wait_time|Dr Priya was lovely but I waited 2 months for the appointment and she had 7 minutes for us.
en|-|privacy,facilities|They put my 84-year-old grandmother in a mixed ward at Larkspur Medical Centre with no curtain around her bed for her bed bath. No dignity.
en|-|communication,appointment_access|Pre-op instructions from Zenith Hospital said fast from midnight, the anaesthetist said 6 hours. Which is it?? Nobody picks up the phone.
en|-|privacy,records_access|@LarkspurMC your lab sent my results to my old GP who I haven't seen in 4 years.
en|-|facilities|The ICU family room at LMC has 4 chairs for about 20 people. We slept on the floor.
en|-|medication,communication|Zenith Hospital switched my blood thinner without telling me why. Found out from the pharmacist. My cardiologist hadn't even been asked.
en|-|records_access|Three emails and two visits and Larkspur Medical Centre still hasn't sent my scan images to the surgeon I'm seeing for a second opinion.
en|-|hygiene,treatment_harm|Wound got infected after my c-section at LMC. The dressing was changed once in four days. Basic infection control, people.
en|-|staff_attitude,wait_time|Waited 40 min at Zenith Hospital admissions while two staff chatted about their weekend. When I asked, I was told to sit down.
en|-|legal_threat,privacy|My lawyer is drafting a letter to Larkspur Hospital about the leak of my test results to my employer. This will not be swept under the rug.
en|-|facilities,billing|The Larkspur Medical Centre car park machine ate my ticket and the only attendant told me to 'call someone'. Paid RM60 to get out.
en|-|appointment_access,billing|Cardiology at LMC double-booked my stress test, sent me home after I'd fasted all morning, and then billed me a no-show fee.
en|-|records_access|Told by the Zenith Hospital ward clerk that my dad's notes 'can't be shown to family' even though he signed the consent form in front of her.
en|-|communication|Mum's been on a Larkspur Hospital ward 9 days and nobody's told us who her consultant is. Rounds happen before visiting hours so we never see a doctor.
en|-|food|Hadn't eaten properly for 2 days because the LMC kitchen kept sending meals with peanuts despite my allergy band.
en|-|privacy|Zenith Hospital sent my MRI results to my company HR instead of to me. HR. I never consented to that.
en|-|staff_attitude|Night nurse at Larkspur Medical Centre switched off my mum's call bell because she 'pressed it too much'. She's 86 and can't walk.
en|-|wait_time,treatment_harm|Paeds A&E at LMC: 3 hours, no paracetamol for a 40°C fever until I begged. My daughter was shaking.
en|-|continuity,wait_time|Referral from LMC to the rehab centre has been 'in the system' for 3 weeks. Dad's lying in a bed losing muscle the whole time.
en|-|legal_threat,medication,treatment_harm|I'm contacting a lawyer about the overdose my father got at Zenith Hospital. Two doses of insulin an hour apart, charted by two different nurses.
en|-|appointment_access,wait_time|Larkspur MC cancelled my MRI the morning of, for the second time, and the next slot is in 7 weeks. I have a suspected tumour.
en|-|misdiagnosis|Dr Raman told me my son's rash was eczema. It was scabies and now the whole family has it.
en|-|staffing,wait_time|Zenith Hospital needs more nurses on nights, full stop. Waited 50 minutes for someone to help my wife to the bathroom after surgery.
en|-|hygiene,facilities|The shared bathroom on ward 7 at Larkspur Hospital was flooded and smelled like sewage the whole weekend.
[i01] id|-|wait_time|Udh 3 jam antri di poli dalam RSUD Sukamaju, nomor antrian baru sampe 47. Aku nomor 112. Ya Allah 😩
id|-|wait_time,communication|Janji jam 9, dr. Kevin baru dateng jam 1 siang. Pasien udh numpuk di depan poli, gak ada yg kasih kabar. RS Zenith tolong lah
id|-|wait_time,facilities|sdh 5 jam di IGD RSUD Sukamaju blm dpt kamar. bapak sy tidur di brankar di lorong 😭
id|-|wait_time|Antri obat di apotek RS Zenith 2 jam lebih. Udh bayar mahal masih disuruh nunggu lama bgt
id|-|wait_time|Dokter jaga IGD RS Zenith gak muncul2. Katanya lagi visite. Anak saya kejang nunggu 40 menit.
id|-|wait_time|Kenapa sih tiap kontrol di RSUD Sukamaju harus dari subuh? Dtg jam 5 pagi, dipanggil jam 11. Capek bgt
id|-|wait_time|dokter Agus telat 2 jam, operasi ibu saya mundur terus dr pagi sampai sore, puasa dari semalam. Kasian bgt
[i08] id|-|staff_attitude|Perawat di RSUD Sukamaju judes bgt. Nanya baik2 malah dibentak 'sabar dong bu, pasien bukan cuma ibu!'
id|-|staff_attitude|Satpam RS Zenith kasar, nyuruh keluarga pasien keluar dr lobi kayak ngusir kucing. Padahal lagi hujan deres.
id|-|staff_attitude|dr. Yusuf cuek bgt, ditanya malah jawab 'udah, nanti juga sembuh sendiri'. Gak diperiksa sama sekali
id|-|staff_attitude,wait_time|Petugas pendaftaran RSUD Sukamaju main HP terus, pasien antri dicuekin. Giliran ditanya malah sewot.
id|-|staff_attitude|Dokter di RS Zenith ngomongnya nyakitin. Bilang anak saya sakit gara2 ibunya gak becus ngurus. Nangis saya di parkiran.
id|-|staff_attitude|bidan Nining judes bgt pas persalinan, dibilang 'lebay' waktu aku kesakitan. trauma sampe skrg
[i14] id|-|misdiagnosis|Anak saya didiagnosa radang tenggorokan biasa di IGD RSUD Sukamaju, disuruh pulang. Besoknya ke RS lain ternyata DBD, trombosit udh 40rb. Salah diagnosa parah.
id|-|misdiagnosis|Ibu saya dibilang cuma masuk angin sama dokter jaga RS Zenith, ternyata serangan jantung ringan. Untung kami gak percaya dan minta EKG.
id|-|misdiagnosis|3x bolak balik RSUD Sukamaju, tiap kali dibilang maag. Pas CT scan di tempat lain ketahuan batu empedu. Kemana aja dokternya??
id|-|misdiagnosis|Dokter Fajar bilang anak saya cuma batuk pilek, ternyata pneumonia. Skrg dirawat di PICU 😢
id|-|misdiagnosis,medication|Salah diagnosa di RS Zenith: dibilang tipes, dikasih antibiotik seminggu, ternyata hepatitis A. Badan makin drop.
id|-|treatment_harm|Kaki bapak saya infeksi parah setelah operasi di RSUD Sukamaju. Jahitan bernanah, dokternya bilang 'biasa'. Sekarang terancam amputasi.
id|-|treatment_harm,communication|Adik saya meninggal setelah operasi usus buntu di RS Zenith. Katanya komplikasi, tp gak ada yg mau jelasin apa yg terjadi di ruang operasi.
id|-|treatment_harm|Infus anak saya bengkak dan biru, udah lapor 3x ke perawat RSUD Sukamaju, baru dipindah pas udh melepuh.
id|-|treatment_harm,facilities|Ibu saya jatuh dr tempat tidur di bangsal RSUD Sukamaju krn gak ada pengaman. Tulang pinggul retak. Gimana sih jagainnya
id|-|treatment_harm|Habis cabut gigi di poli gigi RS Zenith, rahang saya mati rasa 2 minggu. Pas komplain katanya 'efek biasa'.
[i24] id|-|medication|Apotek RSUD Sukamaju salah kasih obat!! Resep buat darah tinggi, yg dikasih obat gula. Untung bapak saya cek dulu
id|-|medication|Dosis paracetamol buat anak saya di RS Zenith ditulis 500mg, padahal berat badannya 9kg. Apotekernya juga gak ngecek??
id|-|medication,billing|Obat BPJS di RSUD Sukamaju kosong terus, disuruh beli sendiri di luar. Sebulan bisa 600rb. Gimana rakyat kecil?
id|-|medication|dr. Maya resepin antibiotik tiap anak batuk dikit. Udh 4x sebulan. Saya jadi ragu.
id|-|medication,staff_attitude|Suster salah suntik obat ke pasien sebelah, trs pas ditanya cuma senyum2. Ngeri bgt rawat inap di RS Zenith
id|-|communication|Gak ada yg jelasin ke keluarga kenapa bapak tiba2 masuk ICU. Nanya ke perawat disuruh tanya dokter, dokternya gak bisa ditemui. RSUD Sukamaju tolong lah komunikasinya
id|-|communication,appointment_access|Operasi ibu dibatalin mendadak di RS Zenith, kami baru tau pas udh di ruang tunggu. Gak ada telpon, gak ada SMS.
id|-|communication,staff_attitude|dr. Ratna cuma ngomong 2 menit, pake istilah medis semua, ditanya lagi malah buru2 keluar. Pulang2 saya bingung sendiri
id|-|communication,records_access|Kami keluarga pasien gak pernah dikasih tau hasil CT scan. Udh 4 hari dirawat di RSUD Sukamaju. Cuma dibilang 'nanti dokter yg jelasin'.
id|-|communication,staff_attitude|Keluhan saya gak didengerin sama sekali di RS Zenith. Baru ngomong 1 kalimat udh dikasih resep. Kayak mesin.
[i34] id|-|records_access|Minta hasil rontgen sendiri di RS Zenith kok dipersulit? Katanya cuma boleh dikirim ke dokter perujuk. Itu data saya loh!
id|-|records_access,wait_time|Mau pindah RS buat second opinion, minta rekam medis ke RSUD Sukamaju katanya harus surat pengantar, nunggu 2 minggu. Keburu parah penyakitnya.
id|-|records_access,billing|Hasil rontgen ayah saya 'hilang' di RS Zenith. Disuruh foto ulang dan bayar lagi. Enak aja.
id|-|records_access,wait_time|Resume medis buat klaim asuransi udh 3 minggu belum jadi di RSUD Sukamaju. Tiap nanya dioper ke bagian lain.
[i38] id|-|billing,wait_time|Tagihan RS Zenith 2 hari rawat inap 38 juta. Rinciannya gak masuk akal, ada 'visite dokter' 6x padahal dokternya cuma dateng sekali.
id|-|billing,wait_time|Disuruh bayar deposit 10 juta dulu di IGD RS Zenith baru anak saya ditangani. Padahal lagi kejang!
id|-|billing|Pasien BPJS di RSUD Sukamaju masih disuruh bayar 'biaya tambahan' yg gak jelas. Kwitansinya pun gak dikasih.
id|-|billing|Kasir RSUD Sukamaju salah hitung, saya kena tagihan obat yg gak pernah saya terima. Pas protes disuruh ngurus sendiri ke farmasi.
id|-|billing,communication|Asuransi udh approve, tp RS Zenith tetep nagih selisih 7 juta pas pulang. Gak ada penjelasan dari awal.
id|-|appointment_access|Telpon RSUD Sukamaju dari pagi gak diangkat2. Mau daftar poli aja susahnya minta ampun
id|-|appointment_access|Aplikasi pendaftaran RSUD Sukamaju error terus, kuota poli saraf selalu 'penuh' jam 6 pagi. Gimana caranya dapet jadwal??
id|-|appointment_access,continuity|Jadwal kontrol sama dr. Kevin dibatalin H-1 lewat WA, dijadwal ulang 3 minggu lagi. Padahal obat jantung saya tinggal 5 hari
id|-|appointment_access,communication|WA admin RS Zenith cuma dibaca doang, gak dibales udh 2 hari. Mau bikin janji kok kayak minta sumbangan
id|-|hygiene,facilities|Toilet bangsal kelas 3 RSUD Sukamaju jorok bgt, bau pesing, air gak ngalir. Gimana pasien mau sembuh
id|-|hygiene|Ada kecoa di laci samping tempat tidur pasien RS Zenith. Kelas VIP loh ini.
id|-|hygiene|Sprei gak diganti 4 hari, masih ada bekas darah pasien sebelumnya. RSUD Sukamaju tolong perhatikan kebersihan
id|-|hygiene|Perawat di RS Zenith ganti infus gak pake sarung tangan, abis pegang pasien lain juga. Gak steril sama sekali
id|-|food|Makanan pasien RSUD Sukamaju nasi keras, sayurnya basi, lauknya cuma tempe sepotong. Bapak saya jadi gak mau makan
id|-|food|Ibu saya pasien diabetes di RS Zenith malah dikasih bubur manis + teh manis. Ahli gizinya kemana?
id|-|food|Makan malam pasien di RS Zenith dateng jam 9 malem, udh dingin. Padahal pasien harus minum obat abis makan
id|-|food|lauk pasien rsud sukamaju tiap hari ikan asin doang, pasien hipertensi lho ini 🙄
id|-|facilities|Lift RSUD Sukamaju mati lagi, pasien abis operasi digotong lewat tangga. Ini rumah sakit apa gudang?
[i56] id|-|facilities|AC kamar rawat inap RS Zenith mati dari kemarin, panas bgt, anak saya gak bisa tidur. Udh lapor 3x
id|-|facilities|Parkiran RSUD Sukamaju sempit bgt, ambulans aja susah masuk. Pasien gawat nunggu di mobil
id|-|facilities|Kursi roda di IGD RSUD Sukamaju cuma 2, rusak semua. Bapak saya yg stroke harus dipapah
id|-|facilities|Bed di bangsal RSUD Sukamaju penuh, pasien ditaruh di kasur lipat di lorong. Miris.
id|-|staffing,wait_time|Satu perawat jaga buat 30 pasien di bangsal RSUD Sukamaju malem2. Pencet bel sejam gak ada yg dateng. Kurang tenaga bgt
id|-|staffing,wait_time|IGD RS Zenith malam minggu cuma 1 dokter jaga. Pasien numpuk, yg kecelakaan nunggu sejam.
id|-|staffing,appointment_access|Dokter spesialis anak di RSUD Sukamaju cuma 1, praktek 2x seminggu. Kabupaten segede ini?
id|-|staffing|Perawat RS Zenith kayaknya kurang orang, yg jaga itu2 aja dari pagi sampe malem, keliatan capek bgt. Kasian tp pasien juga terlantar
id|-|continuity|Ibu saya dipulangkan dr RSUD Sukamaju padahal masih demam tinggi, katanya kamar penuh. 2 hari kemudian masuk lagi lewat IGD
id|-|continuity|Rujukan dari RS Zenith ke RS lain gak diurus, kami disuruh cari sendiri RS yg ada ICU kosong. Muter2 jam 2 pagi
id|-|continuity,appointment_access|Abis operasi di RSUD Sukamaju gak dikasih jadwal kontrol, gak dikasih surat kontrol. Pas mau kontrol ditolak krn 'gak ada surat'
id|-|continuity,communication|Pindah dokter di RS Zenith krn dr. Sari cuti, dokter barunya gak baca riwayat sama sekali. Mulai dari nol lagi
id|-|privacy|Foto bapak saya yg lagi kritis di ICU RSUD Sukamaju kesebar di grup WA. Yg motret ternyata petugas. Gak ada etika!
id|-|privacy|Hasil tes HIV saya dibacain keras2 di depan loket RS Zenith. Semua orang ngeliatin. Malu dan marah.
id|-|privacy|Kok bisa data pasien RSUD Sukamaju lengkap sama diagnosanya dipake buat bungkus gorengan?? Ini beneran terjadi.
id|-|privacy|Baru keluar dr RS Zenith, besoknya ditelpon sales asuransi yg tau diagnosa saya. Data bocor dari mana?
id|-|legal_threat,treatment_harm|Sudah kami laporkan ke polisi. RSUD Sukamaju harus bertanggung jawab atas kematian ibu kami.
id|-|legal_threat,treatment_harm|Kami akan tempuh jalur hukum. Pengacara kami sudah kirim somasi ke RS Zenith soal malpraktik operasi ayah.
id|-|legal_threat,treatment_harm|Kalau dr. Agus gak mau tanggung jawab, saya bawa ke media dan ke MKDKI. Kaki ibu saya bukan barang percobaan.
id|-|legal_threat,billing|Sudah lapor ke Ombudsman dan dinas kesehatan soal pungli di RSUD Sukamaju. Kalau gak ditanggapi, lanjut ke polisi.
id|-|legal_threat,misdiagnosis|Saya sudah konsultasi dengan LBH. Kasus salah diagnosa anak saya di RS Zenith akan kami bawa ke pengadilan.
id|-|billing,wait_time,staff_attitude,food|RS Zenith tuh mahal doang, pelayanan nol. Dokter telat, perawat judes, makanan gak enak. Kapok!
id|-|!|Kesel bgt sama RSUD Sukamaju. Gak usah ke sana deh kalau gak kepaksa.
id|-|!|Udah lah @rsudsukamaju, benahi dulu pelayanan sebelum sibuk bikin konten TikTok
id|-|misdiagnosis,treatment_harm|Anak saya demam 3 hari, ke IGD RS Zenith cuma dikasih paracetamol, disuruh pulang, gak dicek darah. Besoknya kejang.
id|-|billing,records_access|Tagihan lab di RS Zenith beda sama yg di brosur, dan hasilnya gak dikasih kalau belum lunas. Pasien disandera?
id|-|continuity,medication|Bapak diopname di RSUD Sukamaju, tiap hari ganti dokter, gak ada yg tau riwayatnya, obatnya ganti2 terus.
id|-|wait_time|Antrian farmasi RS Zenith lama bgt 😤
id|-|wait_time|RSUD Sukamaju: daftar jam 6, dipanggil jam 12, diperiksa 3 menit. Capek deh.
id|-|wait_time,facilities,communication|Kok bisa ya dr. Ratna telat 3 jam tanpa kabar, pasien hamil tua disuruh nunggu berdiri krn kursi penuh
id|-|billing,facilities|Sumpah parkiran RS Zenith mahal bgt, 5 jam 40rb. Lagi nungguin orang sakit pula
id|-|continuity,facilities|IGD RSUD Sukamaju nolak pasien dgn alasan penuh, padahal kondisinya kritis. Disuruh cari RS lain sendiri.
id|-|medication,treatment_harm|Obat yg dikasih RS Zenith bikin anak saya ruam satu badan, padahal udh bilang alergi. Di rekam medis juga tertulis!
id|-|billing,communication|Nanya biaya operasi di RS Zenith jawabannya 'nanti aja pas tagihan keluar'. Lah gimana mau siapin dana?
id|-|facilities|AC bangsal anak RSUD Sukamaju bocor netes ke kasur pasien. Udh seminggu gak dibenerin.
id|-|communication,billing|dr. Kevin buru2 terus, gak sempet nanya apa2. Konsul 5 menit bayar 350rb. Mending cari dokter lain.
id|-|privacy|Perawat RSUD Sukamaju ngomongin kondisi pasien lain keras2 di lorong, nyebut nama & penyakitnya. Gak ada privasi.
id|-|wait_time,continuity|Hasil MRI saya belum dibaca dokter radiologi RS Zenith udh 10 hari. Kontrol ke dokter saraf jadi mundur terus.
id|-|treatment_harm,staffing|Anak saya disuntik 3x karena perawatnya gagal pasang infus. Gak ada perawat senior yg dipanggil. RSUD Sukamaju ya Allah
id|-|food|Gizi pasien RS Zenith: roti tawar + teh manis buat pasien diabetes. Serius??
id|-|wait_time,treatment_harm|Ambulans RSUD Sukamaju dateng 1,5 jam setelah ditelpon. Tetangga saya udh gak tertolong 😢
id|-|records_access,billing,wait_time|Mau minta surat keterangan sakit aja di RS Zenith harus bayar 150rb & nunggu 3 hari kerja. Ribet.
id|-|staff_attitude,wait_time|Kalau pasien BPJS di RSUD Sukamaju diperlakukan kayak warga kelas dua. Yg umum didahulukan terus.
id|-|legal_threat,records_access|Pengacara keluarga sudah siap. Kalau RSUD Sukamaju tetap gak kasih rekam medis almarhum, kita gugat.
id|-|legal_threat,treatment_harm,facilities|Saya akan viralkan ke media dan lapor polisi kalau RS Zenith gak mau tanggung jawab atas jari anak saya yang terjepit di ranjang.
id|-|appointment_access,facilities|Jadwal operasi bapak dibatalin 2x di RSUD Sukamaju krn 'alat rusak'. Gimana sih manajemennya
id|-|staffing,wait_time|dr. Agus ngerjain 3 operasi sekaligus katanya, makanya pasiennya terbengkalai. Kurang dokter bedah kali ya RSUD Sukamaju
id|-|hygiene,treatment_harm|Luka operasi ibu di RSUD Sukamaju infeksi, perbannya cuma diganti sekali seminggu. Kebersihan bangsal juga parah.
id|-|food,staff_attitude|Minta makanan lunak buat bapak yg susah nelen, sama petugas gizi RS Zenith malah dibilang 'makan aja yg ada'.
id|-|records_access,communication|Hasil biopsi saya di RSUD Sukamaju udh keluar katanya, tp gak ada yg mau kasih tau isinya sebelum ketemu dokter bulan depan.
ms|-|wait_time|Tunggu 6 jam di unit kecemasan Hospital Larkspur, anak demam panas pun tak ada orang peduli. Teruk betul.
ms|-|billing|Bil Larkspur Medical Centre naik dua kali ganda dari sebut harga asal. Insurans pun tak cover semua. Macam mana ni?
ms|-|staff_attitude|Jururawat kat wad 5 Hospital Larkspur kurang ajar, cakap kasar dengan mak saya yang dah tua.
ms|-|appointment_access|Doktor Aisyah batalkan temujanji saya kali ketiga. Dah 36 minggu mengandung, stres betul.
ms|-|food|Makanan kat Hospital Larkspur tawar dan sejuk, mak saya tak lalu makan langsung.
ms|-|hygiene|Tandas wad Pusat Perubatan Larkspur kotor, bau hancing, sabun pun takde. Hospital swasta kot.
ms|-|medication|Farmasi LMC bagi ubat salah dos untuk anak saya. Nasib baik saya perasan sebelum bagi dia makan.
ms|-|records_access,wait_time|Saya minta salinan rekod perubatan dari Hospital Larkspur, dah sebulan tak dapat lagi. Asyik suruh tunggu.
ms|-|legal_threat|Kami akan ambil tindakan undang-undang terhadap Larkspur Medical Centre. Peguam dah hantar notis.
ms|-|misdiagnosis,treatment_harm|Dr Farid salah diagnosis, kata gastrik je, rupanya apendiks dah pecah. Nasib baik sempat dibedah.
ms|-|communication|Tak ada siapa terangkan kenapa ayah saya dipindahkan ke ICU. @LarkspurMC tolong lah maklumkan keluarga.
ms|-|facilities|Parking Hospital Larkspur penuh, lif rosak, kerusi roda tak cukup. Kemudahan teruk untuk hospital yang mahal.
ms|-|wait_time|Dah dua jam tunggu ubat kat farmasi Hospital Larkspur. Lambat gila.
ms|-|billing,facilities|Caj bilik Hospital Larkspur mahal tapi katil rosak, aircond bocor. Tak berbaloi langsung.
ms|-|privacy|Kenapa maklumat pesakit boleh bocor? Ada orang dapat call pasal rawatan saya di LMC.
ms|-|staffing|Wad kanak-kanak Hospital Larkspur malam tadi cuma ada dua jururawat untuk semua pesakit. Kasihan mereka, kasihan anak-anak.
"""

# --- News items from RSS feeds (outside the story) ----------------------------------------
# (lang, sentiment, categories, feed id, feed name, url, text)
NEWS = [
    ("en", "0", [], "https://selangorherald.example/rss", "Selangor Herald",
     "https://selangorherald.example/2026/03/05/larkspur-medical-centre-cancer-wing",
     "Larkspur Medical Centre to open cancer wing in May. The Petaling Jaya hospital said the 60-bed wing will add radiotherapy "
     "and a day-care chemotherapy unit, and that recruitment of oncology nurses is under way."),
    ("en", "0", [], "https://jakartaledger.example/feeds/business", "Jakarta Daily Ledger",
     "https://jakartaledger.example/business/2026/03/04/zenith-serpong-renews-accreditation",
     "Zenith International Hospital Serpong renews international accreditation. The private hospital said the three-year "
     "accreditation covers patient safety, infection control and medication management."),
    ("en", "0", [], "https://selangorherald.example/rss", "Selangor Herald",
     "https://selangorherald.example/2026/03/10/pj-hospitals-brace-for-dengue",
     "PJ hospitals brace for dengue spike. Larkspur Medical Centre has extended its fever clinic hours to 10pm and says "
     "patients with warning signs should go straight to the emergency department."),
    ("en", "-", ["legal_threat", "treatment_harm"], "https://selangorherald.example/rss", "Selangor Herald",
     "https://selangorherald.example/2026/03/19/family-sues-larkspur-medical-centre",
     "Family of patient who died after routine surgery sues Larkspur Medical Centre. The family of a 58-year-old man alleges "
     "negligence in his post-operative care; the hospital said it would defend the claim and could not comment on individual cases."),
    ("id", "0", [], "https://kabarsehat.example/rss", "Kabar Sehat",
     "https://kabarsehat.example/berita/kasus-dbd-naik-rsud-sukamaju-siapkan-ruang-isolasi",
     "Kasus DBD Naik, RSUD Sukamaju Siapkan Ruang Isolasi Tambahan. Dinas Kesehatan Kabupaten Sukamaju mencatat kenaikan kasus "
     "demam berdarah sejak Februari; RSUD Sukamaju menambah 20 tempat tidur untuk pasien DBD."),
    ("id", "+", [], "https://wartatangsel.example/feed", "Warta Tangsel",
     "https://wartatangsel.example/2026/03/07/donor-darah-zenith-peduli",
     "Warga Antusias Ikut Donor Darah Zenith Peduli, 300 Kantong Terkumpul. Kegiatan donor darah yang digelar di halaman rumah "
     "sakit itu diikuti warga, pelajar dan ojek daring sejak pagi."),
]


# --- Noise: adverts (by the hospitals and by third parties) -----------------------------
ADVERTS = r"""
[a01] id|+||PROMO MCU Maret di RS Zenith Serpong! Paket Basic cuma Rp499rb (normal 850rb). Daftar via WA 0812-3456-7890 📲 #RSZenith
id|+||Diskon 20% paket persalinan normal @RSZenithSerpong s/d 31 Maret. Info: https://zenith-serpong.example/promo
id|0||Jasa ambulans & antar jemput pasien ke RSUD Sukamaju, 24 jam, harga bersahabat. Hubungi 0857 1122 3344
id|0||Jual kursi roda & tongkat bekas pakai, kondisi 90%, COD depan RSUD Sukamaju. WA 0813-9988-7766
id|0||Apotek Sehat Jaya depan RS Zenith: diskon 15% semua vitamin, tunjukkan resep dari RS Zenith. Order via https://wa.example/628111111111
[a06] id|+||Paket vaksin influenza keluarga di RS Zenith mulai 350rb/orang! Booking: https://zenith-serpong.example/vaksin ☎ 021-5555-0123
id|0||Kos dekat RSUD Sukamaju cocok untuk keluarga pasien/nakes, 5 menit jalan kaki, 900rb/bln. Hubungi 0812 0000 1111
id|+||Promo khitan modern di RS Zenith Serpong 🎉 Rp1,8jt sudah termasuk kontrol. Kuota terbatas! Link di bio
[a09] id|+||Cek gula darah GRATIS + konsultasi gizi di booth RSUD Sukamaju, CFD Minggu ini. Info lengkap: https://rsudsukamaju.example/cfd
id|0||Catering sehat untuk pasien pasca operasi, antar ke RS Zenith & RSUD Sukamaju. Menu diet jantung, diabetes. Pesan sekarang WA 0878-1234-5678
id|0||Butuh pendamping pasien / caregiver di RS Zenith? Kami siap 24 jam. Harga mulai 250rb/shift. DM atau WA 0812-7777-8888
id|+||Paket medical check up pra-nikah RSUD Sukamaju cuma 275rb! Daftar: https://rsudsukamaju.example/mcu
[a13] id|+||Promo Ramadan: paket MCU lengkap RS Zenith diskon 25% + gratis konsultasi gizi. Berlaku s/d 31 Maret. https://zenith-serpong.example/ramadan
[a14] en|+||Spring health screening at Larkspur Medical Centre: full package RM399 (usual RM650). Book now: https://larkspur.example/screening
en|0||Need a ride to LMC for dialysis? Reliable non-emergency patient transport, RM45 each way. WhatsApp 012-345 6789
en|+||Limited offer: 15% off all dental packages at Larkspur Medical Centre this month 🦷 Call 03-7777 1234
en|0||Physio at home after your surgery at Larkspur Hospital, certified therapists, first session 50% off. Book via link in bio
[a18] en|+||Maternity packages at @LarkspurMC from RM4,999, includes 2 nights, newborn screening & a complimentary photoshoot 📸 https://larkspur.example/mum
en|+||Zenith International Hospital executive check-up for expats, English-speaking doctors, results same day. Special price Rp2.9jt. Book: https://zenith-serpong.example/expat
en|0||Parking near Larkspur Medical Centre? Our covered lot on Jalan 17/1 is just RM5 a day. Pre-book online: https://parkeasy.example
ms|+||Promosi pakej bersalin Hospital Larkspur, diskaun RM500 untuk tempahan bulan ini! Hubungi 03-7777 1200
ms|0||Jual stokin mampatan & tilam angin untuk pesakit, hantar terus ke wad Larkspur Medical Centre. WhatsApp 019-888 7766
"""

# --- Noise: giveaways, link and hashtag stuffing ------------------------------------------
SPAM = r"""
[s01] id|+||🎁GIVEAWAY🎁 Menangkan voucher MCU senilai 2jt di RS Zenith! 1. Follow @sehatbareng_id 2. RT & like 3. Tag 3 teman. #giveaway #MCU #RSZenith #gratis #sehat
[s02] en|+||GIVEAWAY ALERT!! Follow + retweet + tag 2 friends to win a free health screening at Larkspur Medical Centre 🎉 #giveaway #LarkspurMC #health #free #win
id|0||#RSUDSukamaju #sehat #BPJS #dokter #rumahsakit #kesehatan #info #viral #fyp #trending #jualobat #murah
[s04] en|0||@LarkspurMC earn RM800/day from home!!! 💰💰 click https://bit.example/3xFakE1 https://bit.example/3xFakE2 https://bit.example/3xFakE3
id|+||Kuis berhadiah! Sebutkan 3 layanan unggulan RS Zenith Serpong, follow & repost, pemenang diumumkan Jumat 🎊 #kuis #hadiah #RSZenith
[s06] id|0||@RSZenithSerpong @rsudsukamaju @LarkspurMC obat kuat herbal asli, ampuh 100%, kirim ke seluruh Indonesia, klik https://herbal.example https://herbal.example/order https://herbal.example/testimoni
en|+||Repost & tag your bestie 💕 One lucky winner gets a spa day + full check-up at LMC! Follow us for more #giveaway #KL #PJ #wellness #LarkspurMedical
id|0||jasa followers murah!!! @RSZenithSerpong mau naikin followers? 1k = 20rb, DM sekarang #followers #jasafollowers #murah #promo #RSZenith #viral
[s09] id|+||🔥🔥 Menangkan HP baru! Follow, like, share, tag 5 teman & sebut RSUD Sukamaju di komen 🔥 #giveaway #gratis #hadiah #undian
en|+||WIN a year of free consultations at Larkspur Medical Centre!!! just follow, RT and tag 3 friends before Sunday. #LarkspurCares #giveaway #win #free
en|0||Crypto signal group 🚀 100x guaranteed. Doctors at Zenith Hospital already joined lol. https://t.example/pump1 https://t.example/pump2 https://t.example/pump3
en|0||#LarkspurMC #LarkspurMedical #hospital #PJ #KL #Selangor #health #doctor #nurse #medical #malaysia #followme
[s13] id|0||Slot gacor hari ini!!! daftar skrg bonus 100% rs zenith rsud sukamaju link: https://slot.example/a https://slot.example/b https://slot.example/c
ms|+||Peraduan! Follow, like & share post ni, tag 3 kawan, menang baucar pemeriksaan kesihatan di Hospital Larkspur 🎁 #peraduan #percuma #LarkspurMC #menang
"""

# --- Noise: "Zenith" in senses that are not the hospital (no context word near it) ------
AMBIGUOUS = r"""
en|+||Finally saved up for a Zenith Defy. The skeleton dial is ridiculous. Worth every ringgit.
en|+||Zenith El Primero movement is still one of the best chronographs ever made, fight me
en|+||My grandpa's old Zenith TV still works. 1978 and it still turns on. They don't make them like that anymore
en|0||Bitcoin at its zenith again? Or is this the top before the crash 📉
id|0||Jam tangan Zenith KW super dijual murah, mulus, box lengkap. Minat DM
id|0||Ada yg pernah servis jam Zenith di Jakarta? Mesinnya mati abis kena air
id|+||Matahari tepat di zenith jam 12 siang tadi, bayangan tiang bendera hilang 🌞 #HariTanpaBayangan
en|+||The Zenith ski jacket I bought last winter is finally getting some use in Hokkaido ❄️
en|+||Zenith band reunion concert next month, who's going?
en|0||Learning astronomy: the zenith is the point directly above you, the nadir directly below. Mind blown 🤯
en|+||Career at its zenith and then he retired. Respect. 🐐
en|0||Zenith headphones on sale, 40% off, anyone tried them?
id|+||Rental mobil Zenith Trans Tangerang, armada baru, sopir ramah 🚗
id|+||Zenith Futsal Club menang 5-2 tadi malam! Gas terus 🔥⚽
id|+||Kopi di Zenith Coffee BSD enak bgt, tempatnya cozy buat WFC ☕
en|+||Watched a documentary called Zenith about the Apollo missions last night, incredible archival footage
id|0||Ada yg jual remote TV Zenith jadul? Punya bapak ilang
en|-||My Zenith watch stopped after two weeks. Back to the shop it goes, not impressed 😒
"""

# --- Noise: no configured hospital, clinician or keyword --------------------------------
OFF_TOPIC = r"""
id|-|wait_time,medication|Antri BPJS di puskesmas dari subuh, giliran dipanggil obatnya habis 🙃
en|+||5 hours in A&E last night with my son's asthma. The staff were run off their feet and still kind to every single patient. Hats off to them.
en|0||Does anyone know a good paediatric dentist in Subang? Kid has a chipped tooth
id|+||Jangan lupa minum air putih 2 liter sehari ya gaes, apalagi pas buka puasa 💧
en|-|billing,facilities|Why does every hospital car park in KL cost more than a hotel?
id|-|facilities,continuity|Ditolak di 3 rumah sakit karena kamar penuh, akhirnya ayah dirawat di lorong IGD. Sistem kesehatan kita sakit.
en|0||Reminder: flu season. Wash your hands, get your jab, stay home if you're sick 🤧
id|+||Resep sayur bening bayam buat anak yg lagi susah makan, simpel & sehat 🥬
id|-|wait_time,billing|Ngantri di kasir rumah sakit swasta 1,5 jam cuma buat bayar. Kenapa gak bisa bayar online sih
en|0||New study: walking 7,000 steps a day cuts mortality risk significantly. Time to get moving 🚶
en|-|appointment_access|My GP surgery's phone line is a joke. 45 minutes on hold to be told there are no appointments.
id|-||Lagi di ICU nungguin om, doain ya teman2 🙏
id|0||Klinik kecantikan langganan tutup, ada rekomendasi klinik skincare di Tangsel?
en|-|medication|Pharmacy near my place ran out of Ventolin again. Third week.
id|0||Vaksin dengue skrg udh bisa buat dewasa ya? Ada yg tau harganya?
en|+||Had a scan today and the radiographer was so gentle. Small kindnesses matter.
id|0||Kenapa ya tiap ke dokter gigi selalu deg2an padahal cuma scaling 😅
en|0||PSA: dengue cases are up in Selangor. Clear standing water around your house!
id|0||Bapak2 ibu2, ada donor darah golongan O di sekitar Bekasi? Urgent buat operasi besok 🙏
en|0||Throwback to when I broke my arm skateboarding in 2014 lol. Never again.
en|+||Hospital drama recommendation? Finished Hospital Playlist and need more 😭
id|+||Dokter di puskesmas tadi baik bgt, anak saya dijelasin pake gambar. Semoga sehat terus dok 🙏
id|0||Kalau demam anak di atas 39 derajat langsung ke IGD ya bun, jangan ditunda
en|-|billing|Anyone else's medical insurance premium jumped 30% this year? Mine did. Madness.
ms|-|appointment_access|Sakit gigi dari semalam, klinik panel tutup hari Ahad. Sedihnya hidup 😩
ms|0||Jangan lupa minum air kosong banyak-banyak, cuaca panas sangat sekarang ☀️
en|0||Thinking of switching insurers. Any recs for family plans in Malaysia?
id|+||Lagi nonton dokumenter soal dokter di daerah terpencil. Salut sama perjuangan mereka 🫡
en|0||Is it normal for a sprained ankle to still hurt after three weeks? Asking for me.
id|0||Mudik lebaran tahun ini bawa obat2an apa aja ya buat anak balita? Takut kenapa2 di jalan
en|+||Blood donation done ✅ The nurses at the drive were so cheerful. Go donate, people!
id|-|staff_attitude|Resepsionis klinik deket kantor jutek bgt, nanya jadwal dokter aja dijawab ketus
"""

# ======================================================================================
# Entities and a small mirror of the matching rules (used only to check the labels)
# ======================================================================================

TITLES = {"dr", "dr.", "dokter", "doctor", "doktor", "prof", "prof.", "professor", "nurse",
          "suster", "perawat", "bidan", "ns", "ns.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.",
          "sr", "sr."}
CONTEXT_WINDOW = 6


def fold(s: str) -> str:
    s = s.replace("\u2018", "'").replace("\u2019", "'")
    out = []
    for c in unicodedata.normalize("NFKD", s):
        if unicodedata.combining(c):
            continue
        out.append(c.lower())
    return "".join(out)


def is_short_acronym(term: str) -> bool:
    t = term.strip()
    return 2 <= len(t) <= 4 and sum(c.isalpha() for c in t) >= 2 and not any(c.islower() for c in t)


def is_word(c: str | None) -> bool:
    return c is not None and (c.isalnum() or c == "_")


class Matcher:
    """Mirrors DESIGN.md's entity rules closely enough to check that every label agrees
    with the configured entities: word boundaries, leftmost-longest, context words,
    titled clinicians, capitals-only acronyms, automatic #compact/@compact forms."""

    def __init__(self, entities: dict):
        self.patterns: list[tuple[str, str, str, str, str | None]] = []  # folded, kind, id, rule, exact
        self.context: dict[str, list[str]] = {}
        self.ids = defaultdict(set)
        for h in entities.get("hospital", []):
            self.ids["hospital"].add(h["id"])
            rule = "context" if h.get("context") else "always"
            self.context[h["id"]] = [fold(c) for c in h.get("context", [])]
            terms = [(h["name"], "always")] + [(a, "always" if a[0] in "@#" else rule) for a in h.get("aliases", [])]
            self._add("hospital", h["id"], terms)
        for c in entities.get("clinician", []):
            self.ids["clinician"].add(c["id"])
            terms = [(c["name"], "title")]
            for a in c.get("aliases", []):
                first = fold(a).split()[0] if fold(a).split() else ""
                terms.append((a, "always" if first in TITLES or a.startswith("@") else "title"))
            self._add("clinician", c["id"], terms)
        for d in entities.get("department", []):
            self.ids["department"].add(d["id"])
            terms = [(a, "always") for a in d["aliases"]] + ([(d["name"], "always")] if d.get("name") else [])
            self._add("department", d["id"], terms)
        for k in entities.get("keyword", []):
            self.ids["keyword"].add(k["id"])
            self._add("keyword", k["id"], [(a, "always") for a in k["aliases"]])

    def _add(self, kind, eid, terms):
        seen = set()
        for term, rule in terms:
            f = fold(term).strip()
            if not f:
                continue
            exact = term.strip() if is_short_acronym(term) else None
            variants = [f]
            compact = "".join(ch for ch in f if ch.isalnum())
            if len(compact) >= 4 and f[0] not in "@#":
                variants += ["#" + compact, "@" + compact]
            for v in variants:
                if v not in seen:
                    seen.add(v)
                    self.patterns.append((v, kind, eid, rule, exact))

    def _raw_matches(self, hay: str):
        """Non-overlapping leftmost-longest matches, boundaries ignored (like the automaton)."""
        i, n = 0, len(hay)
        by_first = defaultdict(list)
        for p in self.patterns:
            by_first[p[0][0]].append(p)
        while i < n:
            best = None
            for p in by_first.get(hay[i], ()):
                if hay.startswith(p[0], i) and (best is None or len(p[0]) > len(best[0])):
                    best = p
            if best is None:
                i += 1
                continue
            yield i, i + len(best[0]), best
            i += len(best[0])

    def _has_context(self, hay, s, e, eid):
        words = self.context.get(eid) or []
        if not words:
            return True
        tok = lambda t: [w for w in re.split(r"[^\w]|_", t) if w]
        before = tok(hay[:s])[-CONTEXT_WINDOW:]
        window = before + tok(hay[s:e]) + tok(hay[e:])[:CONTEXT_WINDOW]
        for ctx in words:
            cw = ctx.split()
            if any(window[k:k + len(cw)] == cw for k in range(len(window) - len(cw) + 1)):
                return True
        return False

    def find(self, text: str):
        # Folding here keeps lengths (the sample texts have no characters that expand).
        hay = fold(text)
        assert len(hay) == len(text), f"folding changed the length of {text!r}"
        cands = []
        for s, e, p in self._raw_matches(hay):
            before = hay[s - 1] if s > 0 else None
            after = hay[e] if e < len(hay) else None
            if (is_word(hay[s]) and is_word(before)) or (is_word(hay[e - 1]) and is_word(after)):
                continue
            if p[4] is not None and text[s:e] != p[4]:
                continue
            cands.append((s, e, p))
        names_hospital = any(p[1] == "hospital" and (p[3] != "context" or self._has_context(hay, s, e, p[2])) for s, e, p in cands)
        found, ambiguous = [], False
        for s, e, p in cands:
            rule = p[3]
            if rule == "context":
                ok = self._has_context(hay, s, e, p[2])
            elif rule == "title":
                prev = hay[:s].rstrip().split()
                ok = names_hospital or (bool(prev) and prev[-1] in TITLES)
            else:
                ok = True
            if not ok:
                ambiguous = True
                continue
            found.append((p[1], p[2], text[s:e]))
        return found, ambiguous


# ======================================================================================
# Authors, sources, ids, urls
# ======================================================================================

ID_FIRST = ["dinda", "rizky", "putri", "bayu", "sekar", "arif", "nadia", "yoga", "fitri", "adit",
            "wulan", "reza", "intan", "bagas", "ayu", "dimas", "tasya", "fajri", "nisa", "galih",
            "rara", "ilham", "citra", "mega", "hendra", "lina", "teguh", "okta", "salsa", "yudi",
            "novi", "andre", "eka", "rahmat", "vina", "joko", "sinta", "ferry", "indah", "agung"]
ID_LAST = ["ayu", "pratama", "lestari", "saputra", "wijaya", "rahma", "kurnia", "utami", "nugraha",
           "permata", "hidayat", "santika", "purnama", "maharani", "setiadi", "anggraeni"]
EN_FIRST = ["sarah", "jason", "mei", "aiman", "farah", "daniel", "kavitha", "weijie", "hafiz", "emily",
            "raj", "nurul", "chris", "siti", "ben", "aisha", "liam", "shanti", "kelvin", "jess",
            "marcus", "zul", "hannah", "arjun", "chloe", "irfan", "grace", "tom", "yasmin", "leon"]
EN_LAST = ["lim", "ng", "kumar", "wong", "rahman", "teo", "smith", "nair", "ismail", "chan",
           "brown", "lee", "ong", "abdullah", "perera", "hughes"]
INSTANCES = ["mastodon.social", "mas.to", "mstdn.social", "social.example.id", "toot.example.my"]
SUBREDDITS = {"id": ["indonesia", "jakarta", "tangerang"], "en": ["malaysia", "kualalumpur", "expats"], "ms": ["malaysia"]}


class World:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used_ids: set[str] = set()
        self.authors: dict[tuple[str, str], dict] = {}
        self.pool: dict[str, list[dict]] = defaultdict(list)

    def _unique(self, make):
        while True:
            v = make()
            if v not in self.used_ids:
                self.used_ids.add(v)
                return v

    def post_id(self, source: str) -> str:
        r = self.rng
        if source == "x":
            return self._unique(lambda: str(r.randrange(1_897_000_000_000_000_000, 1_905_000_000_000_000_000)))
        if source == "mastodon":
            return self._unique(lambda: str(r.randrange(114_100_000_000_000_000, 114_300_000_000_000_000)))
        if source == "bluesky":
            return self._unique(lambda: "3l" + "".join(r.choice("234567abcdefghijklmnopqrstuvwxyz") for _ in range(11)))
        if source == "reddit":
            return self._unique(lambda: "t3_1" + "".join(r.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(5)))
        if source == "facebook":
            return self._unique(lambda: f"{r.randrange(10**14, 10**15)}_{r.randrange(10**15, 10**16)}")
        if source == "webhook":
            return self._unique(lambda: f"review-{r.randrange(100000, 999999)}")
        raise ValueError(source)

    def comment_id(self) -> str:
        r = self.rng
        return self._unique(lambda: "t1_k" + "".join(r.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(6)))

    def followers(self, scale: float = 5.2) -> int:
        return max(3, int(math.exp(self.rng.gauss(scale, 1.25))))

    def new_author(self, source: str, lang: str) -> dict:
        r = self.rng
        first, last = (ID_FIRST, ID_LAST) if lang == "id" else (EN_FIRST, EN_LAST)
        f, l = r.choice(first), r.choice(last)
        style = r.randrange(8)
        base = [f"{f}_{l}", f"{f}{l}{r.randrange(10, 99)}", f"{f}.{l}", f"{f}{r.randrange(1980, 2006)}", f"its{f}{l[0]}",
                f"{l}{f}", f"{f}_{l[:3]}{r.randrange(1, 9)}", f"{f}{l[0]}{l[-1]}"][style]
        if source == "x":
            handle, aid = base.replace(".", "_"), str(r.randrange(10**8, 10**18))
        elif source == "mastodon":
            handle, aid = f"{base.replace('.', '_')}@{r.choice(INSTANCES)}", str(r.randrange(10**5, 10**17))
        elif source == "bluesky":
            handle = f"{base.replace('_', '-')}.bsky.social"
            aid = "did:plc:" + "".join(r.choice("234567abcdefghijklmnopqrstuvwxyz") for _ in range(24))
        elif source == "reddit":
            handle, aid = base.replace(".", "_"), "t2_" + "".join(r.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(8))
        elif source == "facebook":
            handle, aid = f"{f.title()} {l.title()}", str(r.randrange(10**14, 10**15))
        else:  # webhook: a review-site author forwarded by the hospital's review hook
            handle, aid = f"{f.title()} {l[0].upper()}.", f"reviewer-{r.randrange(10**6, 10**7)}"
        a = {"id": aid, "handle": handle, "followers": self.followers(), "verified": r.random() < 0.02}
        if source == "webhook":
            a["followers"] = 0
        return a

    def author(self, source: str, lang: str) -> dict:
        pool = self.pool[(source, lang)]
        if pool and self.rng.random() < 0.25:
            return self.rng.choice(pool)
        a = self.new_author(source, lang)
        pool.append(a)
        return a


def url_for(source: str, pid: str, author: dict, rng: random.Random, lang: str, text: str = "", parent_url: str | None = None) -> str:
    if source == "x":
        return f"https://x.com/{author['handle']}/status/{pid}"
    if source == "mastodon":
        user, inst = author["handle"].split("@", 1)
        return f"https://{inst}/@{user}/{pid}"
    if source == "bluesky":
        return f"https://bsky.app/profile/{author['handle']}/post/{pid}"
    if source == "reddit":
        if pid.startswith("t1_"):
            return f"{parent_url}comment/{pid[3:]}/"
        slug = "_".join(re.findall(r"[a-z0-9]+", fold(text))[:7]) or "post"
        return f"https://www.reddit.com/r/{rng.choice(SUBREDDITS[lang])}/comments/{pid[3:]}/{slug}/"
    if source == "facebook":
        owner, post = pid.split("_")
        return f"https://www.facebook.com/{owner}/posts/{post}"
    if source == "webhook":
        return f"https://reviews.example/r/{pid}"
    raise ValueError(source)


# ======================================================================================
# Building posts
# ======================================================================================

START = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)
END = datetime(2026, 3, 22, 23, 0, tzinfo=timezone.utc)
LIMIT = {"x": 280, "bluesky": 300, "mastodon": 500}


def parse_block(block: str, group: str):
    rows = []
    for line in block.strip().splitlines():
        key = None
        m = re.match(r"^\[(\w+)\]\s+(.*)$", line)
        if m:
            key, line = m.group(1), m.group(2)
        lang, sent, cats, text = line.split("|", 3)
        assert lang in ("en", "id", "ms"), line
        assert sent in SENT, line
        complaint = cats != ""
        cat_list = [] if cats in ("", "!") else cats.split(",")
        for c in cat_list:
            assert c in CATEGORIES, f"unknown category {c!r} in: {line}"
        rows.append({"key": key, "group": group, "lang": lang, "sentiment": SENT[sent],
                     "is_complaint": complaint, "categories": cat_list, "text": text.replace("\\n", "\n")})
    return rows


class Builder:
    def __init__(self, rng: random.Random, matcher: Matcher):
        self.rng = rng
        self.world = World(rng)
        self.matcher = matcher
        self.posts: list[dict] = []
        self.labels: dict[str, dict] = {}
        self.meta: dict[str, dict] = {}  # post id -> lang, group, key
        self.by_key: dict[str, dict] = {}
        self.posts_by_id: dict[str, dict] = {}

    def tz_for(self, text: str, lang: str):
        found, _ = self.matcher.find(text)
        hospitals = {eid for kind, eid, _ in found if kind == "hospital"}
        clin = {eid for kind, eid, _ in found if kind == "clinician"}
        if "larkspur-pj" in hospitals or any(c in self.matcher.ids["clinician"] and c in LARKSPUR_CLINICIANS for c in clin) or lang == "ms":
            return TZ["+08:00"]
        if hospitals or clin or lang == "id":
            return TZ["+07:00"]
        return TZ["Z"]

    def pick_source(self, text: str, lang: str, group: str) -> str:
        weights = {"x": 34, "facebook": 16, "mastodon": 11, "bluesky": 12, "reddit": 9, "webhook": 8}
        if lang == "ms":
            weights = {"x": 45, "facebook": 40, "reddit": 5, "webhook": 10}
        if group in ("spam", "advert"):
            weights = {"x": 50, "facebook": 35, "bluesky": 5, "mastodon": 5, "reddit": 5}
        if group in ("ambiguous_entity", "off_topic"):
            weights.pop("webhook", None)  # the review hook only forwards reviews of a hospital
        if group in ("neutral",):
            weights.pop("webhook", None)
        choices = [(s, w) for s, w in weights.items() if len(text) <= LIMIT.get(s, 10**9)]
        total = sum(w for _, w in choices)
        x = self.rng.uniform(0, total)
        for s, w in choices:
            x -= w
            if x <= 0:
                return s
        return choices[-1][0]

    def random_time(self, tz) -> datetime:
        span = (END - START).total_seconds()
        t = START + timedelta(seconds=self.rng.uniform(0, span))
        # People post less at night: pull night-time posts into the evening.
        local = t.astimezone(tz)
        if 1 <= local.hour < 6:
            t += timedelta(hours=self.rng.choice([6, 14, 17]))
        return min(t, END).astimezone(tz)

    def add(self, *, text, lang, sentiment, is_complaint, categories, noise, story=None, group,
            source=None, author=None, at=None, reply_to=None, key=None, lang_hint=None,
            url=None, metrics=None, with_metrics=True):
        tz = self.tz_for(text, lang)
        source = source or self.pick_source(text, lang, group)
        if source == "webhook" and group not in ("story",) and text[0] not in "★":
            stars = {"positive": "★★★★★ ", "neutral": "★★★☆☆ ", "negative": self.rng.choice(["★☆☆☆☆ ", "★★☆☆☆ "])}[sentiment]
            text = stars + text
        if reply_to is not None and source == "reddit":
            pid = self.world.comment_id()
        else:
            pid = self.world.post_id(source) if source != "rss" else None
        if author is None:
            author = self.world.author(source, lang)
        if source in ("reddit", "rss", "webhook"):
            # Reddit, feeds and review sites have no follower counts.
            author = {"id": author["id"], "handle": author["handle"]}
        parent = self.posts_by_id.get(reply_to) if reply_to else None
        if source == "rss":
            pid = url
            assert pid and pid not in self.world.used_ids
            self.world.used_ids.add(pid)
        if at is None:
            if parent is not None:
                t = datetime.fromisoformat(parent["created_at"].replace("Z", "+00:00")) + timedelta(minutes=self.rng.uniform(4, 600))
                at = t.astimezone(tz)
            else:
                at = self.random_time(tz)
        elif isinstance(at, str):
            at = datetime.fromisoformat(at)
        post = {"id": pid, "text": text, "source": source}
        if source == "rss":
            post["url"] = url
        else:
            post["url"] = url_for(source, pid, author, self.rng, lang, text, parent["url"] if parent and source == "reddit" else None)
        post["created_at"] = rfc3339(at)
        post["author"] = author
        if with_metrics and source != "rss":
            if metrics is None:
                reach = author.get("followers") or 50
                likes = int(self.rng.expovariate(1.0) * (3 + reach ** 0.5))
                metrics = {"likes": likes, "shares": int(likes * self.rng.uniform(0, 0.3)), "replies": int(self.rng.expovariate(1.0) * (1 + likes ** 0.5))}
            post["metrics"] = metrics
        if reply_to:
            post["reply_to"] = reply_to
        if lang_hint is None and source in ("mastodon", "bluesky") and self.rng.random() < 0.8:
            lang_hint = lang
        if lang_hint:
            post["lang"] = lang_hint
        label = {"id": pid, "relevant": noise is None, "noise": noise, "is_complaint": is_complaint,
                 "categories": list(categories), "sentiment": sentiment, "story": story}
        self.posts.append(post)
        self.posts_by_id[pid] = post
        self.labels[pid] = label
        self.meta[pid] = {"lang": lang, "group": group, "key": key}
        if key:
            assert key not in self.by_key, key
            self.by_key[key] = post
        return post



def rfc3339(t: datetime) -> str:
    s = t.replace(microsecond=0).isoformat()
    return s.replace("+00:00", "Z")


LARKSPUR_CLINICIANS = {"dr-tan-wei-ming", "dr-priya-raman", "dr-aisyah-kamaruddin", "mr-james-whitcombe",
                       "nurse-chong-mei-ling", "dr-farid-osman"}

HOSPITAL_ACCOUNTS = {
    "zenith": {"x": {"id": "1187700420", "handle": "RSZenithSerpong", "followers": 41200, "verified": True}},
    "sukamaju": {"x": {"id": "2290155013", "handle": "rsudsukamaju", "followers": 8900, "verified": False}},
    "larkspur": {"x": {"id": "3120448811", "handle": "LarkspurMC", "followers": 27600, "verified": True}},
}


def who(b: Builder, key: str) -> str:
    """The @handle to reply to, for a post built from a corpus key."""
    a = b.by_key[key]["author"]["handle"]
    return "@" + a.split("@")[0].replace(" ", "")


# ======================================================================================
# Replies, threads and reshares outside the story
# ======================================================================================

def add_conversations(b: Builder):
    """Hospital replies, patients answering them, and one Reddit advice thread."""
    acct = HOSPITAL_ACCOUNTS
    b.add(text=f"{who(b, 'i08')} Mohon maaf atas pengalaman yang kurang menyenangkan, Bu. Keluhan sudah kami teruskan ke kepala ruangan. Boleh kami hubungi untuk detailnya? -Humas RSUD Sukamaju",
          lang="id", sentiment="neutral", is_complaint=False, categories=[], noise=None, group="reply",
          source="x", author=acct["sukamaju"]["x"], reply_to=b.by_key["i08"]["id"])
    b.add(text=f"{who(b, 'e41')} Hi, apologies for the trouble getting through. Our call centre is very busy this week; you can also book in the Larkspur Medical Centre app. Patient Relations",
          lang="en", sentiment="neutral", is_complaint=False, categories=[], noise=None, group="reply",
          source="x", author=acct["larkspur"]["x"], reply_to=b.by_key["e41"]["id"])
    r = b.add(text=f"{who(b, 'i56')} Terima kasih infonya Kak, tim teknik RS Zenith sudah menuju kamar. Mohon maaf atas ketidaknyamanannya 🙏",
              lang="id", sentiment="neutral", is_complaint=False, categories=[], noise=None, group="reply",
              source="x", author=acct["zenith"]["x"], reply_to=b.by_key["i56"]["id"])
    b.add(text="@RSZenithSerpong udah dateng teknisinya, AC udah nyala lagi. Makasih responnya cepet 👍",
          lang="id", sentiment="positive", is_complaint=False, categories=[], noise=None, group="reply",
          source="x", author=b.by_key["i56"]["author"] if b.by_key["i56"]["source"] == "x" else None, reply_to=r["id"])
    b.add(text=f"{who(b, 'e22')} We're very sorry. Please email feedback@larkspur.example with your details so our chief pharmacist can review this with you today. Larkspur Medical Centre",
          lang="en", sentiment="neutral", is_complaint=False, categories=[], noise=None, group="reply",
          source="x", author=acct["larkspur"]["x"], reply_to=b.by_key["e22"]["id"])
    b.add(text=f"{who(b, 'i24')} Mohon maaf, Pak. Apoteker RSUD Sukamaju akan menghubungi Bapak hari ini untuk menelusuri kejadian ini. Terima kasih sudah melapor.",
          lang="id", sentiment="neutral", is_complaint=False, categories=[], noise=None, group="reply",
          source="x", author=acct["sukamaju"]["x"], reply_to=b.by_key["i24"]["id"])

    # A Reddit advice thread about a Larkspur surgery.
    thread = b.add(
        text="Need advice: dad's surgery at Larkspur Medical Centre went wrong and they won't share his notes\n\n"
             "Throwaway for obvious reasons. My dad (71) had a routine gallbladder op at Larkspur Medical Centre three weeks ago. "
             "He ended up back in theatre the next day with a bile leak and spent 9 days in ICU. Nobody has explained what went wrong, "
             "Mr Whitcombe's team keep saying 'known complication', and when we asked for his operation notes the hospital said we need "
             "a letter from a lawyer. Do we actually need a lawyer? Has anyone dealt with LMC patient relations?",
        lang="en", sentiment="negative", is_complaint=True,
        categories=["treatment_harm", "communication", "records_access", "legal_threat"], noise=None, group="complaint",
        source="reddit", at="2026-03-06T21:14:00+08:00", key="rthread")
    b.add(text="Sorry about your dad. In Malaysia you're entitled to a medical report; they can charge a fee but they can't just refuse. Write formally to the hospital director and keep copies of everything.",
          lang="en", sentiment="neutral", is_complaint=False, categories=[], noise="off_topic", group="off_topic",
          source="reddit", reply_to=thread["id"])
    b.add(text="Had a similar runaround at LMC in 2024. Patient relations only moved once my lawyer sent a letter. Sad but true.",
          lang="en", sentiment="negative", is_complaint=True, categories=["records_access", "legal_threat"], noise=None,
          group="complaint", source="reddit", reply_to=thread["id"])
    b.add(text="A bile leak after a lap chole is a known risk, but they should have told you that before the op and explained it properly after. That's a communication failure either way.",
          lang="en", sentiment="negative", is_complaint=True, categories=["communication"], noise="off_topic", group="off_topic",
          source="reddit", reply_to=thread["id"])
    b.add(text="Thanks all. Sent a formal letter to Larkspur Hospital today asking for the report and a meeting. Will update.",
          lang="en", sentiment="neutral", is_complaint=False, categories=[], noise=None, group="reply",
          source="reddit", author=thread["author"], reply_to=thread["id"])


def reshare(b: Builder, key: str, how: str, *, source=None, author=None, lang=None, group="duplicate", noise="duplicate", story=None, delay=None):
    """A reshare of the post built from `key`: RT, copy-paste, same text plus link, or a
    cross-post of the same text by the same author on another network."""
    orig = b.by_key[key] if key in b.by_key else key
    lab = b.labels[orig["id"]]
    meta = b.meta[orig["id"]]
    text = orig["text"]
    for star in ("★★★★★ ", "★★★☆☆ ", "★☆☆☆☆ ", "★★☆☆☆ "):
        if text.startswith(star):
            text = text[len(star):]
    h = orig["author"]["handle"].split("@")[0].replace(" ", "")
    if how == "rt":
        assert orig["source"] == "x", key
        new = f"RT @{h}: {text}"
        if len(new) > 280:
            new = new[:278].rsplit(" ", 1)[0] + " …"
        source = source or "x"
    elif how == "link":
        new = f"{text} {orig['url']}"
    elif how == "copas":
        new = b.rng.choice(["Copas dari grup sebelah:\n\n", "Dari status teman, tolong dibaca:\n\n", "Share ya.\n\n"]) + text
        source = source or "facebook"
    elif how == "via":
        new = f"{text} (via @{h})"
    elif how == "exact":
        new = text
    elif how == "crosspost":
        new = text
        author = author or dict(orig["author"])
    else:
        raise ValueError(how)
    if source is None:
        source = b.rng.choice([s for s in ("x", "bluesky", "mastodon", "facebook")
                               if len(new) <= LIMIT.get(s, 10**9) and s != orig["source"]])
    if how == "crosspost":
        # The same person on another network: the same name, that network's ids.
        assert orig["source"] == "x", key
        fresh = b.world.new_author(source, meta["lang"])
        fresh["handle"] = {"bluesky": h.replace("_", "-").lower() + ".bsky.social",
                           "mastodon": h + "@" + b.rng.choice(INSTANCES),
                           "facebook": fresh["handle"]}.get(source, h)
        fresh["followers"] = orig["author"].get("followers", fresh["followers"])
        author = fresh
    t0 = datetime.fromisoformat(orig["created_at"].replace("Z", "+00:00"))
    delay = delay if delay is not None else timedelta(minutes=b.rng.uniform(8, 60 * 30))
    # Keep the corpus inside its three weeks: a late original gets a quick reshare.
    delay = max(timedelta(minutes=5), min(delay, END - t0))
    return b.add(text=new, lang=lang or meta["lang"], sentiment=lab["sentiment"], is_complaint=lab["is_complaint"],
                 categories=lab["categories"], noise=noise, story=story, group=group, source=source, author=author,
                 at=(t0 + delay).astimezone(t0.tzinfo))


def add_duplicates(b: Builder):
    plan = [
        ("e01", "rt"), ("e12", "rt"), ("e07", "link"), ("e36", "crosspost"), ("e33", "via"),
        ("i01", "rt"), ("i14", "copas"), ("i14", "rt"), ("i38", "crosspost"), ("i24", "link"),
        ("i34", "rt"), ("e22", "exact"), ("i08", "copas"), ("e41", "crosspost"), ("i56", "rt"),
        ("p_birth", "rt"), ("p_zenith_review", "link"), ("p_igd", "crosspost"), ("q_visit", "exact"),
        ("e36", "rt"), ("i38", "rt"),
    ]
    for key, how in plan:
        reshare(b, key, how)
    # A hospital posting the same promotion again is still an advert; so is a bot
    # re-posting a giveaway: the earlier reason (spam, advert) is the label.
    for key, n in (("a01", 2), ("a13", 2), ("a14", 1), ("a18", 1), ("a09", 1)):
        for _ in range(n):
            reshare(b, key, "exact", group="advert", noise="advert", author=b.by_key[key]["author"],
                    source=b.by_key[key]["source"], delay=timedelta(days=b.rng.uniform(1, 6)))
    for key, n in (("s01", 3), ("s02", 2), ("s09", 2), ("s04", 1), ("s06", 2), ("s13", 1)):
        for _ in range(n):
            reshare(b, key, "exact", group="spam", noise="spam", source=b.by_key[key]["source"],
                    delay=timedelta(hours=b.rng.uniform(1, 72)))


# ======================================================================================
# The spreading story (the Prita Mulyasari pattern, fictional names)
# ======================================================================================
# Day 1: one patient, Laras Pramesti, a few hundred followers, writes a detailed complaint
# about Zenith International Hospital Serpong and one internist, dr. Rendra Halim:
# a dengue diagnosis from a lab result that was later "revised", injections without
# explanation, a doctor who never came on time, her own lab results refused. Over the
# next nine days it spreads: friends' replies, copy-paste reshares on Facebook, retweets
# by ever larger accounts, an English translation on Mastodon, commentary on Bluesky, a
# Reddit thread, the hospital's defensive statement, a lawyer's somasi, a police report
# for defamation, news items, a "Koin untuk Laras" page, and a politician's call to drop
# the case.

STORY_TEXT_FB = (
    "Saya mau cerita pengalaman buruk saya di RS Zenith Serpong, supaya tidak ada lagi yang mengalami hal yang sama.\n\n"
    "Tgl 3 Maret saya masuk IGD RS Zenith dengan demam tinggi dan sakit kepala. Hasil lab pertama katanya trombosit saya 41.000 "
    "dan saya langsung divonis DBD, harus rawat inap malam itu juga. Saya ditangani dr. Rendra Halim, Sp.PD.\n\n"
    "Besoknya suster bilang hasil lab 'direvisi', trombosit saya ternyata 176.000. Tapi saya tetap diinfus dan disuntik "
    "macam-macam tanpa penjelasan obat apa. Tangan dan leher saya bengkak, napas sesak. Setiap ditanya, perawat bilang tunggu "
    "dr. Rendra. Dokternya tidak pernah datang tepat waktu: janji visit jam 8 pagi, datang jam 10 malam, hari Kamis malah tidak "
    "datang sama sekali.\n\n"
    "Waktu saya minta hasil lab yang 41.000 itu untuk second opinion, bagian lab dan perawat menolak: 'hasil lab hanya untuk "
    "dokter, tidak bisa diberikan ke pasien'. Saya akhirnya pulang paksa dan pindah ke RS lain, di sana saya didiagnosa infeksi "
    "virus biasa dan reaksi alergi obat, bukan DBD.\n\n"
    "Saya tidak minta apa-apa, saya cuma ingin RS Zenith jujur dan memperbaiki pelayanannya. Jangan sampai terjadi pada kalian."
)
STORY_CATS_FULL = ["misdiagnosis", "wait_time", "records_access", "medication", "treatment_harm", "communication"]

STORY_TEXT_X = (
    "Kapok berobat di @RSZenithSerpong. Divonis DBD padahal bukan, disuntik obat tanpa penjelasan sampe bengkak, "
    "dr. Rendra gak pernah dateng tepat waktu, minta hasil lab sendiri DITOLAK. Cerita lengkap di FB saya. "
    "Jangan sampe kejadian ke kalian 🙏"
)

SUPPORT = "Saya bersama Laras Pramesti. Pasien berhak atas hasil lab & rekam medisnya sendiri. Cabut somasinya, RS Zenith! #SaveLaras"
SUPPORT_VARIANTS = [
    SUPPORT + " 🙏",
    SUPPORT.replace("Saya bersama", "Kami bersama"),
    SUPPORT + " #KoinUntukLaras",
    SUPPORT.lower().replace("#savelaras", "#SaveLaras").replace("zenith!", "zenith!!"),
    SUPPORT.replace("Pramesti.", "Pramesti ✊"),
    SUPPORT.replace("Saya bersama", "Saya juga bersama"),
    SUPPORT + " https://x.com/laraspramesti",
]


def A(aid, handle, followers, verified=False):
    return {"id": aid, "handle": handle, "followers": followers, "verified": verified}


def add_story(b: Builder):
    rng = b.rng
    S = dict(story="prita", group="story")

    def add(text, lang, sent, cats, source, author, at, noise=None, reply=None, key=None, complaint=None, **kw):
        return b.add(text=text, lang=lang, sentiment=SENT[sent], is_complaint=bool(cats) if complaint is None else complaint,
                     categories=cats, noise=noise, source=source, author=author, at=at,
                     reply_to=reply["id"] if reply else None, key=key, **S, **kw)

    laras_fb = A("100083311245871", "Laras Pramesti", 380)
    laras_x = lambda n: A("1460033921", "laraspramesti", n)

    # Day 1, 9 March: the original complaint, Facebook then X.
    fb = add(STORY_TEXT_FB, "id", "-", STORY_CATS_FULL, "facebook", laras_fb, "2026-03-09T21:40:00+07:00", key="st_fb",
             metrics={"likes": 12, "shares": 3, "replies": 4})
    xo = add(STORY_TEXT_X, "id", "-", ["misdiagnosis", "medication", "treatment_harm", "wait_time", "records_access", "communication"],
             "x", laras_x(214), "2026-03-09T22:15:00+07:00", key="st_x", metrics={"likes": 9, "shares": 2, "replies": 2})
    add("@laraspramesti ya ampun Ras 😢 semoga cepet pulih ya. Jahat bgt sampe hasil lab aja gak dikasih",
        "id", "-", ["records_access"], "x", A("1722001934", "dinarwulan", 530), "2026-03-09T23:02:00+07:00",
        noise="off_topic", reply=xo)

    # Day 2, 10 March: friends comment and share.
    add("Astaghfirullah Laras, kok bisa gitu. Tetangga saya dulu juga pernah dirawat dr. Rendra, sama, dokternya susah ditemui. Cepat sembuh ya",
        "id", "-", ["wait_time"], "facebook", A("100071250098832", "Yuli Hartati", 250), "2026-03-10T07:30:00+07:00", reply=fb)
    add("Share ya Ras, biar orang lain tau. Pasien berhak atas hasil lab dan rekam medisnya sendiri, itu ada aturannya.",
        "id", "-", ["records_access"], "facebook", A("100064418822107", "Bimo Adiwijaya", 610), "2026-03-10T08:12:00+07:00",
        noise="off_topic", reply=fb)
    add("Copas dari status teman saya, mohon dibaca & disebarkan:\n\n" + STORY_TEXT_FB, "id", "-", STORY_CATS_FULL, "facebook",
        A("100058830016654", "Rani Kusuma", 890), "2026-03-10T10:05:00+07:00", noise="duplicate")
    add("Tolong disebarkan. " + STORY_TEXT_FB.rsplit("\n\n", 1)[0], "id", "-", STORY_CATS_FULL, "facebook",
        A("100049921377310", "Hendro Santoso", 1240), "2026-03-10T13:40:00+07:00", noise="duplicate")
    rt_authors = [("bimo_adi", 1480, "2026-03-10T12:20:00"), ("cici_anggun", 2300, "2026-03-10T15:02:00"),
                  ("ardi_prasetyo", 320, "2026-03-10T18:44:00"), ("tasya_mlt", 890, "2026-03-11T07:15:00"),
                  ("kangdidin", 1750, "2026-03-11T12:31:00"), ("mbak_rumi", 5400, "2026-03-12T09:09:00"),
                  ("serpongupdate", 12300, "2026-03-12T11:40:00"), ("infotangsel_", 27800, "2026-03-12T20:05:00"),
                  ("ceritaibu2", 61000, "2026-03-13T08:30:00")]
    for i, (h, n, t) in enumerate(rt_authors):
        text = f"RT @laraspramesti: {STORY_TEXT_X}"
        if len(text) > 280:
            text = text[:276].rsplit(" ", 1)[0] + " …"
        add(text, "id", "-", ["misdiagnosis", "medication", "treatment_harm", "wait_time", "records_access", "communication"],
            "x", A(str(1_500_000_000 + 7919 * i), h, n), t + "+07:00", noise="duplicate")
    add(f"Ini serem sih. Minta hasil lab sendiri aja ditolak sama RS Zenith, padahal itu hak pasien. Semoga mbaknya dapet keadilan {xo['url']}",
        "id", "-", ["records_access"], "x", A("987221450", "mas_yoga", 4100), "2026-03-10T19:45:00+07:00", key="st_yoga")

    # Day 3, 11 March: translation and commentary in English, others recognise it.
    t1 = add("Translating a post going around Indonesian social media: a patient at Zenith Hospital Serpong says she was told she had dengue "
             "on a lab result that was later 'revised', kept on IV and injections with no explanation, her doctor (dr. Rendra) never came "
             "at the promised times, and when she asked for her own lab results she was refused. 1/2",
             "en", "-", ["misdiagnosis", "medication", "communication", "wait_time", "records_access"], "mastodon",
             A("109344120055710022", "nadia_k@mastodon.social", 3400), "2026-03-11T09:10:00+07:00", lang_hint="en")
    add("2/2 She discharged herself, went to another hospital and was diagnosed with a viral infection and a drug reaction. Her point "
        "isn't money: she wants Zenith Hospital to be honest and fix how it treats patients. A patient's right to her own results "
        "shouldn't be controversial.", "en", "-", ["records_access", "misdiagnosis", "medication"], "mastodon", t1["author"],
        "2026-03-11T09:12:00+07:00", reply=t1, lang_hint="en")
    add("The Serpong case is a textbook example of why patient access to records matters. If Zenith Hospital had just handed over "
        "the lab result, this would be a conversation, not a scandal.", "en", "-", ["records_access"], "bluesky",
        A("did:plc:q3hwm7ktdxv4y2nzr6sbo5ga", "healthpolicywatch.bsky.social", 9800), "2026-03-11T11:30:00+07:00")
    add("Pernah ngalamin persis kayak mbak Laras di RS Zenith 2 tahun lalu. Hasil lab gak dikasih, dokternya baru nongol tengah malem. Ternyata bukan cuma saya 😤",
        "id", "-", ["records_access", "wait_time"], "x", A("1330298841", "ibu_ratih_s", 760), "2026-03-11T13:00:00+07:00")
    add("Viral curhatan pasien RS Zenith Serpong soal dugaan salah diagnosa DBD dan hasil lab yang tidak diberikan. Pihak RS belum memberikan tanggapan. #RSZenith",
        "id", "-", ["misdiagnosis", "records_access"], "x", A("801455210", "wartatangsel", 48200), "2026-03-11T16:45:00+07:00")

    # Day 4, 12 March: Reddit, the hospital's statement, reactions, a review-site message.
    th = add("RS Zenith Serpong salah diagnosa, pasien minta hasil lab malah ditolak. Ini normal gak sih?\n\n"
             "Buat yg belum baca, ada curhatan pasien (mbak L) yg viral di FB/Twitter. Intinya: didiagnosa DBD dari hasil lab trombosit "
             "41rb yg besoknya 'direvisi' jadi 176rb, tetap diinfus & disuntik, dr. Rendra katanya gak pernah visit sesuai jadwal, dan "
             "waktu minta hasil lab buat second opinion ditolak.\n\nPertanyaan saya: emang RS boleh nolak kasih hasil lab ke pasien? "
             "Setau saya isi rekam medis itu milik pasien. Ada yg kerja di RS bisa jelasin?",
             "id", "-", ["misdiagnosis", "records_access", "wait_time", "medication"], "reddit",
             A("t2_8kq3xw1m", "serpong_anon", 0), "2026-03-12T08:30:00+07:00", key="st_reddit")
    add("Secara aturan, isi rekam medis itu milik pasien dan RS wajib kasih ringkasannya kalau diminta. Berkas fisiknya yg milik RS. CMIIW.",
        "id", "0", [], "reddit", A("t2_2mfp0c7z", "nakes_anonim", 0), "2026-03-12T09:02:00+07:00", noise="off_topic", reply=th)
    add("Gw dulu dirawat di RS Zenith juga, dokternya emang telat2 terus visitnya. Tapi yg bikin kesel itu tagihannya, visite dihitung tiap hari padahal dokternya gak dateng.",
        "id", "-", ["wait_time", "billing"], "reddit", A("t2_5xw9j2aq", "kopi_susu_gula_aren", 0), "2026-03-12T09:40:00+07:00", reply=th)
    wait = add("Tunggu klarifikasi dari RS dulu lah, jangan langsung hakimi. Bisa aja ada miskomunikasi.",
               "id", "0", [], "reddit", A("t2_7ab0r4kk", "jaksel_realist", 0), "2026-03-12T10:05:00+07:00", noise="off_topic", reply=th)
    add("u/jaksel_realist klarifikasi apa, mbaknya udh minta baik2 ditolak. RS Zenith punya waktu 3 hari buat jawab dan diem aja.",
        "id", "-", ["records_access", "communication"], "reddit", th["author"], "2026-03-12T10:31:00+07:00", reply=wait)
    stmt = add("Menanggapi keluhan yang beredar di media sosial, RS Zenith Serpong telah memberikan pelayanan sesuai standar prosedur operasional. "
               "Kami menghormati hak pasien dan terbuka untuk berdialog. Informasi medis pasien bersifat rahasia.",
               "id", "0", [], "x", HOSPITAL_ACCOUNTS["zenith"]["x"], "2026-03-12T14:00:00+07:00", key="st_stmt")
    add("'Sesuai SOP' tapi pasien minta hasil labnya sendiri ditolak? SOP-nya yg salah dong @RSZenithSerpong",
        "id", "-", ["records_access"], "x", A("987221450", "mas_yoga", 4900), "2026-03-12T14:30:00+07:00", reply=stmt)
    add("@RSZenithSerpong bukannya minta maaf malah ngeles. Kecewa.", "id", "-", ["communication"], "x",
        A("1722001934", "dinarwulan", 610), "2026-03-12T15:10:00+07:00", reply=stmt)
    add("Saya pasien lama RS Zenith. Setelah membaca cerita pasien yang viral, saya minta manajemen menjelaskan kenapa hasil lab pasien "
        "tidak boleh diberikan. Ini menyangkut kepercayaan.", "id", "-", ["records_access", "communication"], "webhook",
        A("reviewer-4418820", "Sutrisno W.", 0), "2026-03-12T19:20:00+07:00")

    # Day 5, 13 March: the lawyer's letter.
    add("RS Zenith Serpong Layangkan Somasi ke Pasien yang Curhat di Media Sosial. Kuasa hukum RS Zenith Serpong, Hendarto Wibisono, "
        "mengirimkan somasi kepada LP, pasien yang menulis keluhan soal dugaan salah diagnosa dan penolakan hasil lab. LP diminta "
        "menghapus tulisannya dan meminta maaf di dua media nasional dalam 3x24 jam, atau RS akan menempuh jalur hukum.",
        "id", "-", ["legal_threat", "misdiagnosis", "records_access"], "rss", {"id": "https://wartatangsel.example/feed", "handle": "Warta Tangsel"},
        "2026-03-13T10:00:00+07:00", url="https://wartatangsel.example/2026/03/13/rs-zenith-serpong-layangkan-somasi-ke-pasien")
    add("Saya dapat somasi dari pengacara RS Zenith. Saya cuma cerita pengalaman saya sendiri sebagai pasien. Saya takut, tapi saya tidak bohong.",
        "id", "-", ["legal_threat"], "x", laras_x(3900), "2026-03-13T11:20:00+07:00")
    sat = add("Pasien cerita pengalaman buruk malah disomasi. RS Zenith Serpong, ini cara kalian dengerin pasien? #SaveLaras",
              "id", "-", ["legal_threat", "communication"], "x", A("240118877", "bangsatria", 132000, True), "2026-03-13T12:00:00+07:00",
              key="st_satria")
    add("Yg nyomasi pasien itu RS Zenith ya guys. Catet. Mending cari RS lain. #SaveLaras", "id", "-", ["legal_threat"], "x",
        A("615520934", "mak_viral", 85400), "2026-03-13T13:30:00+07:00")
    add(SUPPORT, "id", "-", ["records_access", "legal_threat"], "x", A("1330298841", "ibu_ratih_s", 1900), "2026-03-13T14:05:00+07:00")
    support_authors = [
        ("x", A("1419920021", "ayu_lestari88", 150)), ("facebook", A("100090012388415", "Dewanti Sari", 420)),
        ("x", A("1555012874", "bayu_pratama", 2200)), ("bluesky", A("did:plc:m2fz6wq7khlv3rbd4yns0ecp", "rizkyputra.bsky.social", 870)),
        ("x", A("1290087734", "teguh_nugraha", 38000)), ("mastodon", A("110255981223400871", "sekar@social.example.id", 310)),
        ("x", A("1602287445", "novi_anggraeni", 5100)),
    ]
    for i, ((src, au), text) in enumerate(zip(support_authors, SUPPORT_VARIANTS)):
        add(text, "id", "-", ["records_access", "legal_threat"], src, au,
            f"2026-03-{13 + i // 3}T{15 + (i * 2) % 8:02d}:{(17 * i) % 60:02d}:00+07:00", noise="duplicate")

    # Day 6, 14 March: police report, local Facebook group, news.
    grp = add("[DISKUSI] Ramai soal pasien RS Zenith Serpong yang disomasi setelah curhat soal salah diagnosa. Warga sini ada yang pernah "
              "punya pengalaman serupa? Atau malah pengalaman baik? Silakan berbagi dengan sopan ya, no hoax.",
              "id", "0", [], "facebook", A("100044780011236", "Info Warga Serpong & BSD", 23000), "2026-03-14T09:00:00+07:00")
    add("Saya pernah lahiran di RS Zenith, dr. Sari baik kok. Tapi urusan administrasi & hasil lab memang ribet, harus nanya berkali2.",
        "id", "0", ["records_access"], "facebook", A("100087712330941", "Sri Handayani", 310), "2026-03-14T09:41:00+07:00", reply=grp)
    add("Kalau gak puas ya lapor baik2 ke RS, jangan diumbar di medsos. Sekarang jadi ribet kan.",
        "id", "0", [], "facebook", A("100039118823407", "Agus Wibowo", 120), "2026-03-14T10:15:00+07:00", noise="off_topic", reply=grp)
    add("Pasien RS Zenith Serpong Dilaporkan ke Polisi atas Dugaan Pencemaran Nama Baik. Setelah somasi tidak dipenuhi, RS Zenith "
        "Serpong melaporkan LP ke polisi dengan pasal pencemaran nama baik UU ITE. Sejumlah pegiat hak pasien menilai langkah tersebut berlebihan.",
        "id", "-", ["legal_threat"], "rss", {"id": "https://kabarsehat.example/rss", "handle": "Kabar Sehat"}, "2026-03-14T16:00:00+07:00",
        url="https://kabarsehat.example/berita/pasien-rs-zenith-serpong-dilaporkan-ke-polisi")
    add("Pasien RS Zenith Serpong dilaporkan ke polisi atas dugaan pencemaran nama baik usai mengeluhkan salah diagnosa dan hasil lab "
        "yang ditolak. Baca: https://kabarsehat.example/berita/pasien-rs-zenith-serpong-dilaporkan-ke-polisi",
        "id", "-", ["legal_threat", "misdiagnosis", "records_access"], "x", A("330981220", "kabarsehat_id", 210000, True),
        "2026-03-14T17:00:00+07:00")
    for i, (h, n) in enumerate([("yogi_saputra", 430), ("citra_permata", 3300), ("arif_hidayat21", 910)]):
        add(f"RT @bangsatria: {sat['text']}", "id", "-", ["legal_threat", "communication"], "x",
            A(str(1_620_000_000 + 104_729 * i), h, n), f"2026-03-14T{18 + i}:{10 + 7 * i:02d}:00+07:00", noise="duplicate")

    # Days 7-10, 15-18 March: national and English-language coverage, a movement, politics.
    add("Indonesian patient reported to police for defamation after complaining about Zenith Hospital Serpong. She says the hospital "
        "misdiagnosed her and refused to hand over her lab results.", "en", "-", ["legal_threat", "misdiagnosis", "records_access"],
        "bluesky", A("did:plc:c7tq2nslw4rxk5vyd3hoja6m", "jktledger.bsky.social", 64000, True), "2026-03-15T08:20:00+07:00", lang_hint="en")
    add("Patient faces defamation complaint after criticising Serpong hospital online. Zenith International Hospital Serpong has reported "
        "a former patient to police under the electronic information law after she wrote that she was misdiagnosed with dengue, given "
        "injections without explanation and refused her own lab results. Patient-rights groups called the move an attempt to silence criticism.",
        "en", "-", ["legal_threat", "misdiagnosis", "records_access", "medication", "communication"], "rss",
        {"id": "https://jakartaledger.example/feeds/health", "handle": "Jakarta Daily Ledger"}, "2026-03-15T11:00:00+07:00",
        url="https://jakartaledger.example/health/2026/03/15/patient-faces-defamation-complaint-serpong-hospital")
    add("Gerakan Koin untuk Laras! Kalau RS Zenith menang gugatan dan Laras harus bayar ganti rugi, kita bayar bareng2 pakai koin. "
        "Pasien bukan kriminal. #KoinUntukLaras #SaveLaras", "id", "-", ["legal_threat"], "facebook",
        A("100095540021187", "Koin Untuk Laras", 12800), "2026-03-15T20:00:00+07:00")
    add("Zenith Hospital Serpong is a case study in how not to run patient relations: one unhappy patient's post, ignored for days, "
        "then answered with a lawyer and a police report. A listening tool would have flagged it on day one.",
        "en", "-", ["legal_threat", "communication"], "mastodon", A("109870004412230045", "socialcrm_notes@scholar.example", 2100),
        "2026-03-16T10:30:00+07:00", lang_hint="en")
    add("Terima kasih untuk semua dukungan. Saya tidak pernah mau memusuhi RS Zenith atau dr. Rendra, saya cuma mau hasil lab saya dan penjelasan yang jujur. 🙏 #SaveLaras",
        "id", "0", ["records_access", "communication"], "x", laras_x(18700), "2026-03-16T19:00:00+07:00")
    add("Update kasus pasien RS Zenith Serpong: sekarang dilaporkan pakai UU ITE\n\nPasien curhat soal salah diagnosa & hasil lab yg "
        "ditolak, dibalas somasi lalu laporan polisi. Ini preseden buruk: pasien jadi takut bersuara. Menurut kalian keluhan pasien "
        "di medsos bisa dipidana?", "id", "-", ["legal_threat", "misdiagnosis", "records_access"], "reddit",
        A("t2_3hq8vz0n", "hukumkesehatan", 0), "2026-03-17T08:45:00+07:00")
    add("Hari ke-5 #SaveLaras. RS Zenith Serpong masih belum cabut laporan polisinya. Kalau kalian pasien RS Zenith, kalian nyaman?",
        "id", "-", ["legal_threat"], "x", A("240118877", "bangsatria", 135500, True), "2026-03-17T12:00:00+07:00")
    add("DPRD Minta RS Zenith Serpong Cabut Laporan terhadap Pasien. Komisi kesehatan DPRD memanggil manajemen RS Zenith Serpong dan "
        "meminta rumah sakit mencabut laporan polisi serta membuka hasil pemeriksaan kepada pasien.",
        "id", "-", ["legal_threat", "records_access"], "rss", {"id": "https://wartatangsel.example/feed", "handle": "Warta Tangsel"},
        "2026-03-18T09:30:00+07:00", url="https://wartatangsel.example/2026/03/18/dprd-minta-rs-zenith-serpong-cabut-laporan")
    add("Anggota dewan minta RS Zenith Serpong cabut laporan polisi terhadap pasiennya. Publik menunggu langkah rumah sakit. #SaveLaras",
        "id", "-", ["legal_threat"], "x", A("801455210", "wartatangsel", 51000), "2026-03-18T10:05:00+07:00")


# ======================================================================================
# Assembly, validation, output
# ======================================================================================

# Posts that others reply to on X must be on X themselves; two early refusals of records
# at Zenith are dated before the story so that they are not mistaken for it.
# Posts that are retweeted or cross-posted start on X as well.
FORCE_SOURCE = {k: "x" for k in ("i08", "e41", "i56", "e22", "i24", "s01", "s02", "e01", "e12", "i01", "i14", "i34",
                                 "p_birth", "e36", "i38", "p_igd", "a01", "a06", "a13", "a14", "a18", "a09")}
# The hospitals' own promotions come from their own accounts.
FORCE_AUTHOR = {"a01": "zenith", "a06": "zenith", "a13": "zenith", "a14": "larkspur", "a18": "larkspur", "a09": "sukamaju"}
FORCE_AT = {"e33": "2026-03-03T10:12:00+07:00", "i34": "2026-03-04T16:40:00+07:00"}


def build() -> Builder:
    rng = random.Random(SEED)
    entities = tomllib.loads(ENTITIES.read_text(encoding="utf-8"))
    b = Builder(rng, Matcher(entities))
    b.entities = entities
    blocks = [(PRAISE, "praise", None), (NEUTRAL, "neutral", None), (COMPLAINTS, "complaint", None),
              (ADVERTS, "advert", "advert"), (SPAM, "spam", "spam"), (AMBIGUOUS, "ambiguous_entity", "ambiguous_entity"),
              (OFF_TOPIC, "off_topic", "off_topic")]
    rows = []
    for block, group, noise in blocks:
        for row in parse_block(block, group):
            row["noise"] = noise
            rows.append(row)
    rng.shuffle(rows)
    for row in rows:
        b.add(text=row["text"], lang=row["lang"], sentiment=row["sentiment"], is_complaint=row["is_complaint"],
              categories=row["categories"], noise=row["noise"], group=row["group"], key=row["key"],
              source=FORCE_SOURCE.get(row["key"]), at=FORCE_AT.get(row["key"]),
              author=HOSPITAL_ACCOUNTS[FORCE_AUTHOR[row["key"]]]["x"] if row["key"] in FORCE_AUTHOR else None)
    for lang, sent, cats, feed, name, url, text in NEWS:
        b.add(text=text, lang=lang, sentiment=SENT[sent], is_complaint=bool(cats), categories=cats, noise=None,
              group="neutral" if not cats else "complaint", source="rss", author={"id": feed, "handle": name}, url=url)
    add_conversations(b)
    add_duplicates(b)
    add_story(b)
    return b


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[^\w]+", fold(text)) if w and w not in ("rt", "via")]


def bigrams(text: str) -> set:
    w = words(text)
    return set(zip(w, w[1:]))


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def validate(b: Builder, posts: list[dict], labels: list[dict]) -> dict:
    problems = []
    ids = [p["id"] for p in posts]
    assert len(ids) == len(set(ids)), "post ids are not unique"
    assert [l["id"] for l in labels] == ids, "labels are not one per post, in post order"
    by_id = {p["id"]: p for p in posts}
    lo, hi = datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 4, 1, tzinfo=timezone.utc)
    seen_bigrams: list[tuple[str, set]] = []
    for p, l in zip(posts, labels):
        pid = p["id"]
        line = json.dumps(p, ensure_ascii=False)
        assert json.loads(line) == p
        for f in ("id", "text", "source", "url", "created_at", "author"):
            if not p.get(f):
                problems.append(f"{pid}: missing {f}")
        if p["source"] not in SOURCES:
            problems.append(f"{pid}: bad source {p['source']}")
        t = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if not lo <= t < hi:
            problems.append(f"{pid}: created_at outside March 2026")
        a = p["author"]
        if not a.get("id") or not a.get("handle"):
            problems.append(f"{pid}: author needs id and handle")
        if p["source"] not in ("reddit", "rss", "webhook") and ("followers" not in a or "verified" not in a):
            problems.append(f"{pid}: author needs followers and verified on {p['source']}")
        if p["source"] != "rss" and set(p.get("metrics", {})) != {"likes", "shares", "replies"}:
            problems.append(f"{pid}: metrics needs likes, shares, replies")
        if len(p["text"]) > LIMIT.get(p["source"], 10**9):
            problems.append(f"{pid}: {len(p['text'])} characters is too long for {p['source']}")
        if p.get("reply_to"):
            parent = by_id.get(p["reply_to"])
            if parent is None:
                problems.append(f"{pid}: reply_to {p['reply_to']} is not a post")
            elif parent["created_at"] >= p["created_at"] and datetime.fromisoformat(parent["created_at"].replace("Z", "+00:00")) >= t:
                problems.append(f"{pid}: reply before its parent")
        # Label shape.
        if set(l) != {"id", "relevant", "noise", "is_complaint", "categories", "sentiment", "story"}:
            problems.append(f"{pid}: label keys {sorted(l)}")
        if l["noise"] not in NOISE + [None] or l["sentiment"] not in SENT.values() or l["story"] not in (None, "prita"):
            problems.append(f"{pid}: label values")
        if l["relevant"] != (l["noise"] is None):
            problems.append(f"{pid}: relevant must equal noise is null")
        if any(c not in CATEGORIES for c in l["categories"]) or (l["categories"] and not l["is_complaint"]):
            problems.append(f"{pid}: categories")
        # Labels agree with the configured entities and the matching rules.
        found, ambiguous = b.matcher.find(p["text"])
        names = [f for f in found if f[0] in ("hospital", "clinician", "keyword")]
        if l["noise"] == "off_topic" and (names or ambiguous):
            problems.append(f"{pid}: off_topic but names {names or 'an ambiguous alias'}: {p['text'][:80]!r}")
        elif l["noise"] == "ambiguous_entity" and (names or not ambiguous):
            problems.append(f"{pid}: ambiguous_entity but found={names} ambiguous={ambiguous}: {p['text'][:80]!r}")
        elif l["noise"] not in ("off_topic", "ambiguous_entity") and not names:
            problems.append(f"{pid}: labelled {l['noise'] or 'relevant'} but names no entity: {p['text'][:80]!r}")
        # Near-duplicates: a reshare must be close to an earlier post; nothing else may be.
        bg = bigrams(p["text"])
        if l["noise"] in ("spam", "advert"):
            continue
        best, best_id = 0.0, None
        for oid, obg in seen_bigrams:
            j = jaccard(bg, obg)
            if j > best:
                best, best_id = j, oid
        if l["noise"] == "duplicate":
            if best < 0.6:
                problems.append(f"{pid}: labelled duplicate but closest earlier post is {best:.2f} similar")
        elif len(words(p["text"])) >= 6 and best >= 0.5:
            problems.append(f"{pid}: {best:.2f} similar to earlier {best_id} but not labelled duplicate")
        seen_bigrams.append((pid, bg))

    # Coverage: every category, several times, in English and in Indonesian.
    cov = Counter()
    for p, l in zip(posts, labels):
        if l["noise"] == "duplicate":
            continue
        for c in l["categories"]:
            cov[(c, b.meta[p["id"]]["lang"])] += 1
    for c in CATEGORIES:
        for lang in ("en", "id"):
            if cov[(c, lang)] < 3:
                problems.append(f"category {c} has only {cov[(c, lang)]} {lang} posts (want 3+)")
    # The story: starts small, spreads across sources, reaches 100k+, ends in legal threats.
    story = [(p, l) for p, l in zip(posts, labels) if l["story"] == "prita"]
    if not 40 <= len(story) <= 60:
        problems.append(f"story has {len(story)} posts (want 40-60)")
    first = story[0][0]
    if first["author"].get("followers", 0) > 500 or not story[0][1]["is_complaint"]:
        problems.append("story must start with a complaint by a small account")
    if {"x", "facebook", "reddit", "rss", "mastodon", "bluesky"} - {p["source"] for p, _ in story}:
        problems.append("story must spread across x, facebook, reddit, rss, mastodon and bluesky")
    if max(p["author"].get("followers", 0) for p, _ in story) < 100_000:
        problems.append("story must reach an account with 100k+ followers")
    if len({p["author"]["id"] for p, l in story if l["noise"] == "duplicate"}) < 10:
        problems.append("story needs reshares by 10+ distinct authors")
    if len(posts) < 550:
        problems.append(f"only {len(posts)} posts (want 550+)")
    distinct = {b.meta[p["id"]].get("key") or p["text"] for p, l in zip(posts, labels) if l["noise"] != "duplicate"}
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(f"{len(problems)} problem(s); nothing written")
    return {"coverage": cov, "distinct": len({p['text'] for p, l in zip(posts, labels) if l['noise'] not in ('duplicate', 'spam', 'advert')})}


def report(b: Builder, posts, labels, stats):
    langs = Counter(b.meta[p["id"]]["lang"] for p in posts)
    klass = Counter()
    for p, l in zip(posts, labels):
        g = b.meta[p["id"]]["group"]
        if l["story"]:
            k = "story:" + (l["noise"] or "relevant")
        elif l["noise"]:
            k = "noise:" + l["noise"]
        elif l["is_complaint"]:
            k = "relevant:complaint"
        elif g == "praise" or l["sentiment"] == "positive":
            k = "relevant:praise"
        else:
            k = "relevant:question/neutral"
        klass[k] += 1
    print(f"posts: {len(posts)}  (distinct non-reshare, non-spam/advert texts: {stats['distinct']})")
    print("by class:")
    for k, n in sorted(klass.items()):
        print(f"  {k:28} {n}")
    print("by language: " + ", ".join(f"{k} {v}" for k, v in sorted(langs.items())))
    print("by source:   " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(p["source"] for p in posts).items())))
    print("relevant: {}  complaints: {}  sentiment: {}".format(
        sum(l["relevant"] for l in labels), sum(l["is_complaint"] for l in labels),
        ", ".join(f"{k} {v}" for k, v in sorted(Counter(l["sentiment"] for l in labels).items()))))
    print("categories (posts that are not reshares)   en  id  ms")
    for c in CATEGORIES:
        cov = stats["coverage"]
        print(f"  {c:40} {cov[(c, 'en')]:3} {cov[(c, 'id')]:3} {cov[(c, 'ms')]:3}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="validate and print the mix, write nothing")
    args = ap.parse_args()
    b = build()
    order = sorted(range(len(b.posts)), key=lambda i: (datetime.fromisoformat(b.posts[i]["created_at"].replace("Z", "+00:00")), i))
    posts = [b.posts[i] for i in order]
    labels = [b.labels[p["id"]] for p in posts]
    stats = validate(b, posts, labels)
    report(b, posts, labels, stats)
    if not args.check:
        POSTS_OUT.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), encoding="utf-8")
        LABELS_OUT.write_text("".join(json.dumps(l, ensure_ascii=False) + "\n" for l in labels), encoding="utf-8")
        print(f"wrote {POSTS_OUT.relative_to(ROOT)} and {LABELS_OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
