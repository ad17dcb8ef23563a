// 快购 single-page app: everything a shopper sees is built here from the JSON API.
(function () {
  "use strict";
  var app = document.getElementById("app");

  // The API only answers the app itself: a session cookie and a client header.
  if (document.cookie.indexOf("kg_sid=") < 0) {
    document.cookie = "kg_sid=" + Math.random().toString(36).slice(2) + "; path=/";
  }

  function api(path) {
    return fetch(path, { headers: { "X-KG-Client": "web/2.3.1" }, credentials: "same-origin" })
      .then(function (res) {
        if (!res.ok) { throw new Error("HTTP " + res.status); }
        return res.json();
      })
      .then(function (body) {
        if (body.code !== 0) { throw new Error(body.msg); }
        return body.data;
      });
  }

  // Build elements with textContent only, so no text from the API is ever parsed as markup.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function yuan(fen) { return (fen / 100).toFixed(2); }

  function sold(count) {
    if (count >= 10000) { return (count / 10000).toFixed(1) + "万+"; }
    return String(count);
  }

  function show(node) { app.replaceChildren(node); }

  function failed(err) {
    show(el("p", { "class": "error" }, ["页面加载失败，请稍后重试（" + err.message + "）"]));
  }

  function home() {
    show(el("div", { "class": "home" }, [
      el("h1", {}, ["快购 · 好物快人一步"]),
      el("form", { action: "/s", method: "get" }, [
        el("input", { name: "q", placeholder: "搜索商品" }), el("button", {}, ["搜索"])])]));
  }

  function hot() {
    api("/api/hot").then(function (data) {
      show(el("div", { "class": "hot" }, [
        el("h1", {}, ["快购热榜"]),
        el("p", { "class": "hot-updated", "data-updated": data.updated }, ["更新于 " + data.updated.slice(0, 16).replace("T", " ")]),
        el("ol", { "class": "hot-board" }, data.list.map(function (t) {
          return el("li", { "class": "hot-row", "data-rank": String(t.rank) }, [
            el("a", { "class": "hot-word", href: "/s?q=" + encodeURIComponent(t.word) }, [t.word]),
            el("span", { "class": "hot-value" }, [String(t.hot_value)]),
            t.is_rising ? el("span", { "class": "hot-up" }, ["升"]) : null]);
        }))]));
    }).catch(failed);
  }

  function search(params) {
    var q = params.get("q") || "";
    var page = parseInt(params.get("page") || "1", 10);
    api("/api/search?q=" + encodeURIComponent(q) + "&page=" + page).then(function (data) {
      var pager = el("div", { "class": "pager" }, [
        page > 1 ? el("a", { "class": "prev", href: "/s?q=" + encodeURIComponent(q) + "&page=" + (page - 1) }, ["上一页"]) : null,
        data.has_more ? el("a", { "class": "next", href: "/s?q=" + encodeURIComponent(q) + "&page=" + (page + 1) }, ["下一页"]) : null]);
      show(el("div", { "class": "search" }, [
        el("h1", {}, ["“" + q + "” 共 " + data.total + " 件"]),
        el("ul", { "class": "feed" }, data.items.map(function (item, i) {
          return el("li", { "class": "feed-item", "data-item-id": item.item_id, "data-rank": String((page - 1) * data.page_size + i + 1) }, [
            el("a", { "class": "feed-title", href: "/p/" + item.item_id }, [item.title]),
            el("span", { "class": "feed-price" }, ["¥" + yuan(item.min_price)]),
            el("span", { "class": "feed-sold" }, ["已售" + sold(item.sold_count)]),
            el("span", { "class": "feed-shop" }, [item.shop_name])]);
        })),
        pager]));
    }).catch(failed);
  }

  function comment(c) {
    var date = new Date(c.create_time * 1000).toISOString().slice(0, 10);
    return el("li", { "class": "comment", "data-comment-id": c.comment_id }, [
      el("span", { "class": "comment-score", "data-score": String(c.score) }, [c.score + "星"]),
      el("span", { "class": "comment-date" }, [date]),
      el("span", { "class": "comment-sku" }, [c.sku_desc]),
      el("p", { "class": "comment-content" }, [c.content])].concat(c.append ?
        [el("p", { "class": "comment-append" }, [el("b", {}, ["追评"]), el("span", {}, [c.append.content])])] : []));
  }

  function detail(itemId) {
    api("/api/item/" + encodeURIComponent(itemId)).then(function (item) {
      var list = el("ul", { "class": "comment-list" }, []);
      var more = el("button", { "class": "load-more", type: "button" }, ["查看更多评价"]);
      var cursor = 0;
      function loadComments() {
        more.disabled = true;
        return api("/api/item/" + encodeURIComponent(itemId) + "/reviews?cursor=" + cursor).then(function (page) {
          page.comments.forEach(function (c) { list.appendChild(comment(c)); });
          cursor = page.cursor;
          more.disabled = false;
          if (!page.has_more) { more.remove(); }
        }).catch(function (err) {
          more.disabled = false;
          more.textContent = "加载失败，点击重试";
        });
      }
      more.addEventListener("click", loadComments);
      var price = item.price;
      var priceBox = price === null
        ? el("div", { "class": "detail-price" }, [el("span", { "class": "price-pending" }, ["价格待定"])])
        : el("div", { "class": "detail-price" }, [
          el("span", { "class": "price-current" }, ["¥" + yuan(price.min_price) + (price.max_price > price.min_price ? "-" + yuan(price.max_price) : "")]),
          price.origin_price > price.min_price ? el("span", { "class": "price-origin" }, ["¥" + yuan(price.origin_price)]) : null,
          price.coupon_price !== null ? el("span", { "class": "price-coupon" }, ["券后¥" + yuan(price.coupon_price)]) : null]);
      var crumbs = [el("a", { href: "/" }, ["首页"])];
      item.cat_path.forEach(function (name) {
        crumbs.push(el("span", { "class": "sep" }, [" › "]));
        crumbs.push(el("a", { href: "/s?q=" + encodeURIComponent(name) }, [name]));
      });
      show(el("div", { "class": "detail", "data-item-id": item.item_id }, [
        el("nav", { "class": "detail-crumbs" }, crumbs),
        el("h1", { "class": "detail-title" }, [item.title]),
        priceBox,
        el("div", { "class": "detail-stock" }, [item.stock > 0 ? "库存 " + item.stock : "已抢光"]),
        el("div", { "class": "detail-sold" }, ["月销 " + sold(item.sold_count_month)]),
        el("div", { "class": "detail-score" }, [item.score.toFixed(1) + "分"]),
        el("div", { "class": "detail-shop" }, [item.shop.name]),
        el("ul", { "class": "detail-skus" }, item.skus.map(function (s) {
          return el("li", { "data-sku": s.sku_id }, [s.spec]);
        })),
        el("p", { "class": "detail-desc" }, [item.desc]),
        el("section", { "class": "comments" }, [
          el("h2", {}, ["评价 (" + item.comment_count + ")"]), list, more])]));
      return loadComments();
    }).catch(failed);
  }

  var path = location.pathname;
  var match = path.match(/^\/p\/([^/]+)$/);
  if (match) { detail(decodeURIComponent(match[1])); }
  else if (path === "/s") { search(new URLSearchParams(location.search)); }
  else if (path === "/hot") { hot(); }
  else { home(); }
})();
