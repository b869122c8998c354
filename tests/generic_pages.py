"""Hand-written article pages of templates the crawler does not know, with what they hold.

Each page is built as a news site of unknown make would serve it: nested ``div``s, a header menu,
share buttons, a cookie banner, a related-stories list, a comments block and a footer around the
text; only ``og:``/``article:`` metas, an ``<h1>``, a ``<time>`` and the text carry the article.
``TRUTH`` holds what a reader sees as the article; ``NOISE`` holds text of the blocks around it,
none of which is body text. Used by ``tests/test_generic.py``, unit tests and a crawl alike.
"""

from __future__ import annotations

from typing import Any

ENGLISH_PATH = "/20200428/ancient-river-under-the-sahara-1079123456.html"
ARABIC_PATH = "/20200315/ancient-river-beneath-the-desert-1079123457.html"
UNDATED_PATH = "/20190607/harbour-seals-return-1079123458.html"  # a date in the text only

ENGLISH_BODY = [
    "CAIRO (Meridian) - Geologists working with radar images taken from orbit say they have "
    "traced the course of a river that flowed across what is now the eastern Sahara more than "
    "a hundred thousand years ago, long before the desert took its present shape.",
    "The channel, buried under up to twelve metres of wind-blown sand, runs for roughly 520 "
    "kilometres from the highlands of northern Chad towards the Mediterranean coast, according "
    "to a study published on Tuesday in the journal Earth Surface Dynamics.",
    "“What we are seeing is a fossil landscape, preserved almost intact beneath the dunes,” "
    "said Dr. Amira Haddad, who led the survey at the University of Alexandria. “The meanders, "
    "the terraces, even the places where tributaries joined the main stream are all there.”",
    "The team combined the satellite data with sediment cores drilled at eleven sites along the "
    "buried channel. Grains of quartz in the cores were dated by luminescence, a method that "
    "measures how long ago the sand was last exposed to sunlight.",
    "Rivers of this size would have given early humans a green corridor out of Africa",
    "Researchers have long suspected that wetter phases of the Sahara opened routes for people "
    "and animals moving north. The newly mapped river, the authors argue, would have offered "
    "fresh water, fish and grazing along its whole length during those periods.",
    "Not everyone is convinced. Some hydrologists note that radar signals can be reflected by "
    "layers of clay that have nothing to do with flowing water, and they call for more drilling "
    "before the route is drawn on maps of human migration.",
    "The authors say the next field season, planned for the winter, will extend the survey "
    "another 200 kilometres to the north-west, where the channel appears to split in two.",
]

ENGLISH_TRUTH: dict[str, Any] = {
    "headline": "Scientists Map an Ancient River Buried Beneath the Sahara",
    "published_at": "2020-04-28T22:57:00+00:00",
    "modified_at": "2020-04-29T11:14:00+00:00",
    "authors": ["Jane Whitfield"],
    "description": "Radar images from orbit reveal a 520-kilometre channel under the dunes.",
    "section": "science",
    "tags": ["sahara", "geology", "climate"],
    "image_url": "https://sputnikglobe.com/media/2020/04/sahara-river-1200.jpg",
    "language": "en",
    "body": ENGLISH_BODY,
}

ENGLISH_NOISE = [
    "Subscribe to our newsletter",
    "We use cookies to improve your experience",
    "Accept all cookies",
    "Share on Facebook",
    "Share on Twitter",
    "Copy link",
    "Related stories",
    "Drought forces herders in Niger to move their cattle south",
    "New dinosaur species identified from bones found in Morocco",
    "Why the Nile delta is sinking faster than expected",
    "4 comments",
    "Fascinating, I always wondered what lay under all that sand.",
    "Radar can be very misleading, I would wait for the drill results.",
    "Log in to leave a comment",
    "All rights reserved",
    "About us",
    "Most read",
    "Advertisement",
]


def english_page() -> str:
    """An English article in a template of many nested ``div``s (no ``<article>`` at all)."""
    paragraphs = "\n".join(
        f'            <h2 class="sub">{text}</h2>' if index == 4 else f"            <p>{text}</p>"
        for index, text in enumerate(ENGLISH_BODY)
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Scientists Map an Ancient River Buried Beneath the Sahara | The Daily Meridian</title>
  <meta property="og:site_name" content="The Daily Meridian">
  <meta property="og:type" content="article">
  <meta property="og:title" content="Scientists Map an Ancient River Buried Beneath the Sahara">
  <meta property="og:description"
        content="Radar images from orbit reveal a 520-kilometre channel under the dunes.">
  <meta property="og:image" content="/media/2020/04/sahara-river-1200.jpg">
  <meta property="og:url" content="https://sputnikglobe.com{ENGLISH_PATH}">
  <meta property="article:published_time" content="2020-04-28T22:57:00+00:00">
  <meta property="article:modified_time" content="2020-04-29T11:14:00+00:00">
  <meta property="article:section" content="Science">
  <meta property="article:tag" content="Sahara">
  <meta property="article:tag" content="Geology">
  <meta property="article:tag" content="Climate">
  <link rel="stylesheet" href="/static/site.css">
  <script src="/static/analytics.js" async></script>
</head>
<body class="page page--article">
<div id="cookie-consent" class="cookie-banner" role="dialog">
  <div class="cookie-banner__inner">
    <p>We use cookies to improve your experience on our site and to show you relevant
       advertising. By continuing you agree to our <a href="/privacy">privacy policy</a>.</p>
    <button class="btn btn--accept">Accept all cookies</button>
    <button class="btn btn--settings">Cookie settings</button>
  </div>
</div>
<div class="site-wrapper">
  <header class="site-header">
    <div class="site-header__top">
      <a class="logo" href="/"><img src="/static/logo.svg" alt="The Daily Meridian"></a>
      <nav class="main-nav">
        <ul>
          <li><a href="/world/">World</a></li><li><a href="/politics/">Politics</a></li>
          <li><a href="/science/">Science</a></li><li><a href="/sport/">Sport</a></li>
          <li><a href="/opinion/">Opinion</a></li>
        </ul>
      </nav>
      <a class="subscribe" href="/newsletter">Subscribe to our newsletter</a>
    </div>
  </header>
  <div class="layout">
    <div class="layout__main">
      <div class="story" id="story-1079123456">
        <div class="story__head">
          <div class="breadcrumbs"><a href="/">Home</a> / <a href="/science/">Science</a></div>
          <h1 class="story__title">Scientists Map an Ancient River Buried Beneath the Sahara</h1>
          <div class="story__byline">
            <span class="by">By <a rel="author" href="/people/jane-whitfield">Jane
              Whitfield</a></span>
            <span class="sep">|</span>
            <time class="story__date" datetime="2020-04-28T22:57:00Z">28 April 2020, 22:57</time>
          </div>
          <div class="share share--top">
            <a class="share__fb" href="https://facebook.com/sharer?u=x">Share on Facebook</a>
            <a class="share__tw" href="https://twitter.com/intent/tweet?url=x">Share on Twitter</a>
            <button class="share__copy">Copy link</button>
          </div>
        </div>
        <div class="story__media">
          <figure>
            <img src="/media/2020/04/sahara-river-800.jpg" alt="Dunes in the eastern Sahara">
            <figcaption>Dunes in the eastern Sahara. Photo: Meridian archive</figcaption>
          </figure>
        </div>
        <div class="story__content">
          <div class="story__text">
            <div class="text-block">
{paragraphs}
            </div>
          </div>
          <div class="ad-slot"><span>Advertisement</span><div id="ad-300x250"></div></div>
          <div class="share share--bottom">
            <a class="share__fb" href="https://facebook.com/sharer?u=x">Share on Facebook</a>
            <a class="share__tw" href="https://twitter.com/intent/tweet?url=x">Share on Twitter</a>
          </div>
        </div>
        <div class="related">
          <h3 class="related__title">Related stories</h3>
          <ul class="related__list">
            <li><a href="/20200412/herders-1079120001.html">Drought forces herders in Niger to
              move their cattle south</a></li>
            <li><a href="/20200402/dinosaur-1079110002.html">New dinosaur species identified
              from bones found in Morocco</a></li>
            <li><a href="/20200321/nile-1079100003.html">Why the Nile delta is sinking faster
              than expected</a></li>
          </ul>
        </div>
        <div class="comments" id="comments">
          <h3 class="comments__count">4 comments</h3>
          <ol class="comments__list">
            <li class="comment"><div class="comment__head"><span class="comment__author">
              desert_fox</span> <time datetime="2020-04-29T07:12:00Z">29 April 2020</time>
              </div><div class="comment__body"><p>Fascinating, I always wondered what lay under
              all that sand.</p></div></li>
            <li class="comment"><div class="comment__head"><span class="comment__author">
              hydro_guy</span> <time datetime="2020-04-29T09:40:00Z">29 April 2020</time></div>
              <div class="comment__body"><p>Radar can be very misleading, I would wait for the
              drill results.</p></div></li>
          </ol>
          <a class="comments__login" href="/login">Log in to leave a comment</a>
        </div>
      </div>
    </div>
    <div class="layout__side">
      <div class="most-read">
        <h3>Most read</h3>
        <ol><li><a href="/20200427/a-1079122001.html">Markets fall as oil prices slide</a></li>
        <li><a href="/20200427/b-1079122002.html">Parliament votes on the budget</a></li></ol>
      </div>
    </div>
  </div>
  <footer class="site-footer">
    <div class="site-footer__links"><a href="/about">About us</a> <a href="/contact">Contact</a>
      <a href="/privacy">Privacy</a></div>
    <p class="site-footer__copy">© 2020 The Daily Meridian. All rights reserved.</p>
  </footer>
</div>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{page: "article"}});</script>
<script src="/static/comments.js" defer></script>
</body>
</html>
"""


ARABIC_BODY = [
    "القاهرة - أعلن فريق من علماء الجيولوجيا أنه تمكن، بالاستعانة بصور الرادار الملتقطة من "
    "الأقمار الصناعية، من رسم مجرى نهر قديم كان يجري في شرق الصحراء الكبرى قبل أكثر من مئة ألف "
    "عام، قبل أن تتخذ الصحراء شكلها الحالي بزمن طويل.",
    "ويمتد المجرى المدفون تحت طبقة من الرمال يصل سمكها إلى اثني عشر مترا لمسافة تقارب خمسمئة "
    "وعشرين كيلومترا، من مرتفعات شمال تشاد باتجاه ساحل البحر الأبيض المتوسط، وفقا لدراسة نشرت "
    "يوم الثلاثاء في مجلة علمية متخصصة.",
    "وقالت الدكتورة أميرة حداد التي قادت المسح في جامعة الإسكندرية: «ما نراه هو مشهد طبيعي "
    "متحجر محفوظ بشكل شبه كامل تحت الكثبان الرملية، فالمنعطفات والمدرجات وحتى نقاط التقاء "
    "الروافد بالمجرى الرئيسي كلها موجودة».",
    "وجمع الفريق بين بيانات الأقمار الصناعية وعينات من الرواسب استخرجت من إحدى عشرة نقطة على "
    "امتداد المجرى المدفون، وجرى تأريخ حبيبات الكوارتز فيها بطريقة التألق التي تقيس الوقت "
    "المنقضي منذ آخر تعرض للرمال لأشعة الشمس.",
    "ويرى الباحثون أن المراحل الرطبة التي مرت بها الصحراء فتحت طرقا أمام البشر والحيوانات "
    "للتنقل نحو الشمال، وأن النهر الذي رسمت خريطته حديثا كان يوفر المياه العذبة والأسماك "
    "والمراعي على طول مجراه خلال تلك الفترات.",
    "غير أن بعض علماء المياه يشيرون إلى أن إشارات الرادار قد تنعكس عن طبقات من الطين لا علاقة "
    "لها بالمياه الجارية، ويطالبون بمزيد من الحفر قبل رسم هذا المسار على خرائط هجرة الإنسان.",
]

ARABIC_TRUTH: dict[str, Any] = {
    "headline": "علماء يرسمون خريطة نهر قديم مدفون تحت الصحراء الكبرى",
    "published_at": "2020-03-15T09:30:00+00:00",
    "modified_at": None,
    "authors": ["سامي خليل"],
    "description": "صور الرادار تكشف مجرى بطول 520 كيلومترا تحت الكثبان.",
    "section": "علوم",
    "tags": ["الصحراء", "جيولوجيا"],
    "image_url": "https://sputnikglobe.com/images/2020/03/river.jpg",
    "language": "ar",
    "body": ARABIC_BODY,
}

ARABIC_NOISE = [
    "نستخدم ملفات تعريف الارتباط",
    "موافق",
    "شارك على فيسبوك",
    "شارك على تويتر",
    "أخبار ذات صلة",
    "الجفاف يدفع الرعاة في النيجر إلى النزوح جنوبا",
    "اكتشاف نوع جديد من الديناصورات في المغرب",
    "التعليقات",
    "مقال رائع، كنت أتساءل دائما عما يوجد تحت الرمال.",
    "جميع الحقوق محفوظة",
    "اتصل بنا",
]


def arabic_page() -> str:
    """An Arabic (right-to-left) article in a ``<main>``/``<article>`` template; the author is
    only in ``meta[name=author]``, with the house suffix; Eastern Arabic digits in the date."""
    paragraphs = "\n".join(f"          <p>{text}</p>" for text in ARABIC_BODY)
    return f"""<!doctype html>
<html lang="ar" dir="rtl">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>علماء يرسمون خريطة نهر قديم مدفون تحت الصحراء الكبرى - الأخبار</title>
<meta name="author" content="سامي خليل. Sputnik International">
<meta property="og:type" content="article">
<meta property="og:locale" content="ar_AR">
<meta property="og:title" content="علماء يرسمون خريطة نهر قديم مدفون تحت الصحراء الكبرى">
<meta property="og:description" content="صور الرادار تكشف مجرى بطول 520 كيلومترا تحت الكثبان.">
<meta property="og:image" content="https://sputnikglobe.com/images/2020/03/river.jpg">
<meta property="article:published_time" content="2020-03-15T12:30:00+03:00">
<meta property="article:section" content="علوم">
<meta property="article:tag" content="الصحراء">
<meta property="article:tag" content="جيولوجيا">
</head>
<body>
<div class="wrap">
  <div class="top-bar"><div class="container"><ul class="menu">
    <li><a href="/">الرئيسية</a></li><li><a href="/world/">العالم</a></li>
    <li><a href="/science/">علوم</a></li><li><a href="/contact/">اتصل بنا</a></li></ul></div></div>
  <main class="container">
    <div class="row">
      <div class="col-8">
        <article class="post">
          <header class="post-header">
            <h1 class="post-title">علماء يرسمون خريطة نهر قديم مدفون تحت الصحراء الكبرى</h1>
            <div class="post-meta"><time datetime="2020-03-15T09:30:00Z">١٥ مارس ٢٠٢٠</time></div>
          </header>
          <div class="social-share">
            <a href="https://facebook.com/sharer?u=y">شارك على فيسبوك</a>
            <a href="https://twitter.com/share?url=y">شارك على تويتر</a>
          </div>
          <div class="post-body"><div class="entry">
{paragraphs}
          </div></div>
        </article>
        <section class="related-posts">
          <h4>أخبار ذات صلة</h4>
          <ul>
            <li><a href="/20200310/a-1079100011.html">الجفاف يدفع الرعاة في النيجر إلى النزوح
              جنوبا</a></li>
            <li><a href="/20200302/b-1079100012.html">اكتشاف نوع جديد من الديناصورات في
              المغرب</a></li>
          </ul>
        </section>
        <section id="comments" class="comments-area">
          <h4 class="comments-title">التعليقات</h4>
          <div class="comment"><div class="comment-author">أحمد</div>
            <div class="comment-content"><p>مقال رائع، كنت أتساءل دائما عما يوجد تحت
            الرمال.</p></div></div>
        </section>
      </div>
      <aside class="col-4 sidebar"><div class="widget"><h4>الأكثر قراءة</h4></div></aside>
    </div>
  </main>
  <div class="cookies-notice" id="cookies">
    <p>نستخدم ملفات تعريف الارتباط لتحسين تجربتك على موقعنا.</p><button>موافق</button>
  </div>
  <footer class="footer"><div class="container"><p>جميع الحقوق محفوظة © 2020</p>
    <a href="/contact/">اتصل بنا</a></div></footer>
</div>
</body>
</html>
"""


UNDATED_BODY = [
    "Harbour seals have returned to the estuary for the first time in forty years, volunteers "
    "counting the colony said, crediting a decade of work to clean up the river's mud flats.",
    "Seventy-two animals were seen hauled out on the sandbanks at low tide on Saturday, "
    "including at least nine pups, a sign that the seals are breeding there again.",
    "The local wildlife trust asked walkers to keep dogs on leads and to stay at least a "
    "hundred metres from the animals during the pupping season, which lasts until August.",
]


def undated_page() -> str:
    """An article whose only date is in its visible text ("7 June 2019"): no date meta, no
    ``<time>``; htmldate's path. ``og:type=article`` makes it an article (an ``<h1>`` counts as
    evidence only with a machine-readable time)."""
    paragraphs = "\n".join(f"      <p>{text}</p>" for text in UNDATED_BODY)
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Harbour seals return to the estuary</title>
<meta property="og:type" content="article">
<meta property="og:title" content="Harbour seals return to the estuary"></head>
<body>
<div class="page"><div class="content">
  <div class="article-head"><h1>Harbour seals return to the estuary</h1>
    <p class="dateline">Published 7 June 2019 by the newsroom</p></div>
  <div class="article-text">
{paragraphs}
  </div>
  <div class="share"><a href="#">Share</a></div>
</div>
<footer><p>© Coastal News. All rights reserved.</p></footer></div>
</body>
</html>
"""
