/*! For license information please see swagger-ui-bundle.js.LICENSE.txt */
!function(e,t){"object"==typeof exports&&"object"==typeof module?module.exports=t():"function"==typeof define&&define.amd?define([],t):"object"==typeof exports?exports.SwaggerUIBundle=t():e.SwaggerUIBundle=t()}(this,(()=>(()=>{var e={17967:(e,t)=>{"use strict";t.N=void 0;var r=/^([^\w]*)(javascript|data|vbscript)/im},
/* authors: Kyle Shockey <kyle.shockey@smartbear.com>, Tim Lai <timothy.lai@smartbear.com>, Vladimír Gorej <vladimir.gorej@smartbear.com> */
57:function(e,t,r){const n={password:e.password,username:e.username,client_id:e.clientId,client_secret:e.clientSecret};return r.fetch({url:t,method:"post",headers:{"Content-Type":"application/x-www-form-urlencoded"},body:n})},
58:function(e){var t=e.auth,r=t.schema,n=t.name;return{type:"apiKey",value:e.value,apiKey:this.props.apiKey,"X-API-Key":e.token}},
59:function(e){var t="Basic "+btoa(e.username+":"+e.password);return{Authorization:t}},
60:{"contact":{"name":"SmartBear Support","email":"support@smartbear.com","phone":"+1 617-684-2600"},"license":{"name":"Apache 2.0"}}
}))));
